/// Checks of the raw arguments that the argument parser does not make, so that a file name is
/// never taken for options (and a CI gate never passes on a run that validated nothing).
enum CommandLineCheck {
    /// The arguments that print help or the version and end with status 0.
    static let helpArguments: Set<String> = ["-h", "--help", "--version"]

    /// A one-line problem with the arguments, or nil. `-dash.csv` would otherwise be read as the
    /// short flags `-d -a -s -h …`, among them `-h`, and print the help with status 0.
    static func problem(in arguments: [String]) -> String? {
        for argument in arguments.prefix(while: { $0 != "--" }) where isGroupedShortFlags(argument) {
            return "'\(argument)' is not an option; to validate a file whose name starts with '-', "
                + "write ./\(argument) or put it after -- (preflight validate --schema NAME -- \(argument))"
        }
        return nil
    }

    /// Whether the arguments ask for help or the version explicitly.
    static func asksForHelp(_ arguments: [String]) -> Bool {
        let options = arguments.prefix(while: { $0 != "--" })
        return options.contains(where: helpArguments.contains) || options.first == "help"
    }

    /// `-abc`: one dash and more than one letter (the tool has no such option). Negative
    /// numbers (`--threads -2`) are values, left to the parser and its range checks.
    private static func isGroupedShortFlags(_ argument: String) -> Bool {
        let bytes = Array(argument.utf8)
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "-"), bytes[1] != UInt8(ascii: "-") else { return false }
        return !bytes.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
