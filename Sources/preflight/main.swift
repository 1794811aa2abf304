import ArgumentParser
import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses of SPEC §7.
enum Exit {
    static let usage: Int32 = 64
    static let unreadableInput: Int32 = 66
    static let software: Int32 = 70
    /// The report could not be written (EX_IOERR).
    static let ioError: Int32 = 74
}

/// A problem to report on one stderr line, with its exit status.
struct CommandFailure: Error {
    let message: String
    let status: Int32
}

struct PreflightCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check upload files (CSV, JSON, NDJSON) against a platform's schema before you upload them.",
        discussion: """
            Exit status: 0 valid, 1 row-level errors only, 2 file-level errors, \
            64 usage error, 66 input cannot be read.
            """,
        subcommands: [Validate.self, Schemas.self])
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a file and print a report on standard output.")

    @Argument(help: "The file to check, or - for standard input (then --format is required).")
    var file: String

    @Option(help: "The schema to check against (see `preflight schemas`).")
    var schema: String

    @Option(help: "Input format: csv, json or ndjson. Default: from the file name (.csv, .json, .ndjson, .jsonl).")
    var format: String?

    @Option(help: "CSV field delimiter: one character, or `tab`.")
    var delimiter: String = ","

    @Option(help: "Report style. piing: Piing's preflight JSON.")
    var report: String = "piing"

    @Option(help: "Errors listed in the report (0 = all). Counts are always exact.")
    var maxErrors: Int = 1000

    @Option(help: "Report file_too_large above this many bytes (0 = no limit).")
    var maxFileSize: Int = 100 * 1_048_576

    @Option(help: "Report too_many_rows above this many data rows (0 = no limit).")
    var maxRows: Int = 1_000_000

    @Option(help: "Report record_too_large for a line, record or element longer than this many bytes.")
    var lineCap: Int = 2_097_152

    @Flag(help: "Do not report duplicate ids.")
    var noUniqueIds = false

    @Option(help: "Worker threads (0 = one per core).")
    var threads: Int = 0

    @Option(help: "CSV engine: prescan (records without quotes split by a byte scan, the rest by libcsv) or libcsv (every record).")
    var csvEngine: String = "prescan"

    func validate() throws {
        if maxErrors < 0 { throw ValidationError("--max-errors must be 0 or more") }
        if maxFileSize < 0 { throw ValidationError("--max-file-size must be 0 or more") }
        if maxRows < 0 { throw ValidationError("--max-rows must be 0 or more") }
        if lineCap < 1 { throw ValidationError("--line-cap must be 1 or more") }
        if threads < 0 { throw ValidationError("--threads must be 0 or more") }
        if CSVEngine(rawValue: csvEngine) == nil {
            throw ValidationError("unknown CSV engine '\(csvEngine)' (available: prescan, libcsv)")
        }
        if report != "piing" { throw ValidationError("unknown report style '\(report)' (available: piing)") }
    }

    func options() throws(CommandFailure) -> ValidationOptions {
        guard let schema = Schema.named(schema) else {
            let names = Schema.builtIn.map(\.name).joined(separator: ", ")
            throw CommandFailure(message: "unknown schema '\(schema)' (available: \(names))", status: Exit.usage)
        }
        let inputFormat: InputFormat
        if let format {
            guard let chosen = InputFormat(rawValue: format.lowercased()) else {
                throw CommandFailure(message: "unknown format '\(format)' (available: csv, json, ndjson)", status: Exit.usage)
            }
            inputFormat = chosen
        } else if file == "-" {
            throw CommandFailure(message: "reading standard input (-) needs --format csv|json|ndjson", status: Exit.usage)
        } else if let inferred = InputFormat.inferred(fromName: file) {
            inputFormat = inferred
        } else {
            throw CommandFailure(message: "cannot tell the format of '\(file)' from its name; pass --format csv|json|ndjson",
                                 status: Exit.usage)
        }
        var options = ValidationOptions(schema: schema, format: inputFormat)
        options.delimiter = try Self.delimiterByte(delimiter)
        options.maxErrors = maxErrors
        options.maxFileSize = maxFileSize
        options.maxRows = maxRows
        options.recordCap = lineCap
        options.checksUniqueIDs = !noUniqueIds
        options.threads = threads
        options.csvEngine = CSVEngine(rawValue: csvEngine) ?? .prescan
        return options
    }

    static func delimiterByte(_ text: String) throws(CommandFailure) -> UInt8 {
        if text == "tab" || text == "\\t" || text == "\t" { return 0x09 }
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != 0x22, bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw CommandFailure(message: "--delimiter takes one ASCII character other than a quote or line break, or `tab`",
                                 status: Exit.usage)
        }
        return bytes[0]
    }

    func run() throws {
        let options = try options()
        let report: ValidationReport
        do {
            if file == "-" {
                report = try Validator.validate(descriptor: 0, name: "stdin", options: options)
            } else {
                report = try Validator.validate(path: file, options: options)
            }
        } catch {
            throw CommandFailure(message: error.description,
                                 status: error.isInputUnreadable ? Exit.unreadableInput : Exit.software)
        }
        try writeOut(PiingReport.render(report) + "\n")
        throw ExitCode(report.exitCode)
    }
}

struct Schemas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in schemas, shaped like Piing's GET /api/external/schemas response.")

    func run() throws {
        try writeOut(SchemaCatalog.render(Schema.builtIn) + "\n")
    }
}

/// Writes all of `text` to standard output, or fails with one clear line (a full disk, a closed
/// pipe): a report cut short must not pass for a complete one.
func writeOut(_ text: String) throws(CommandFailure) {
    var bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let result = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + written, $0.count - written) }
        if result < 0 {
            if errno == EINTR { continue }
            throw CommandFailure(message: "cannot write the report: \(String(cString: strerror(errno)))", status: Exit.ioError)
        }
        written += result
    }
    bytes.removeAll()
}

/// One line on standard error, prefixed with the tool's name.
func printError(_ message: String) {
    let line = "preflight: " + message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

// One line on stderr for every failure, never a stack trace (SPEC §7).
// A closed pipe is reported as an error by write(2), not by a signal that ends the process.
signal(SIGPIPE, SIG_IGN)
do {
    var command = try PreflightCommand.parseAsRoot()
    try command.run()
} catch let failure as CommandFailure {
    printError(failure.message)
    exit(failure.status)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let status = PreflightCommand.exitCode(for: error)
    if status == .success {
        // --help and friends: the full text, on stdout.
        print(PreflightCommand.fullMessage(for: error))
        exit(0)
    }
    let message = PreflightCommand.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
    printError(message)
    exit(status == .validationFailure ? Exit.usage : status.rawValue)
}
