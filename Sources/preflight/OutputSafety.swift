#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses outputs that would overwrite an input or each other: `--clean same.csv` on `same.csv`
/// would otherwise replace the data being checked. Files are compared by what they are (device
/// and inode, through symbolic and hard links), not by how their names are spelt.
enum OutputSafety {
    /// What a path names: an existing file, or a name not yet taken in a folder.
    enum Identity: Equatable {
        case file(device: UInt64, inode: UInt64)
        case newEntry(folderDevice: UInt64, folderInode: UInt64, name: String)
    }

    static func check(inputs: [String], rejects: String?, clean: String?, sidecar: String?,
                      partial: String? = nil) throws(CommandFailure) {
        try check(inputs: inputs, outputs: [("--rejects " + (rejects ?? ""), rejects), ("--clean " + (clean ?? ""), clean),
                                            ("the errors file of --rejects (\(sidecar ?? ""))", sidecar),
                                            ("--partial " + (partial ?? ""), partial)])
    }

    /// `outputs`: each output's label in messages, and its path (nil: not written).
    static func check(inputs: [String], outputs: [(String, String?)]) throws(CommandFailure) {
        let outputs = outputs.compactMap { label, path in path.map { (label, identity(ofOutput: $0)) } }
        for (index, (label, identity)) in outputs.enumerated() {
            guard let identity else { continue }
            for input in inputs where identity == self.identity(ofInput: input) {
                let name = input == "-" ? "standard input" : "the input " + input
                throw refusal("\(label) is the same file as \(name)")
            }
            for (otherLabel, other) in outputs[..<index] where other == identity {
                throw refusal("\(otherLabel) and \(label) are the same file")
            }
        }
    }

    private static func refusal(_ what: String) -> CommandFailure {
        CommandFailure(message: what + "; choose another name (nothing was written)", status: Exit.usage)
    }

    /// An input: the file it names (through links), or what standard input is when redirected from a file.
    static func identity(ofInput path: String) -> Identity? {
        var info = stat()
        let found = path == "-" ? fstat(0, &info) == 0 : stat(path, &info) == 0
        return found ? .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : nil
    }

    /// An output: the file it names (through links), or, when none exists yet, the name in its folder.
    static func identity(ofOutput path: String) -> Identity? {
        var info = stat()
        if stat(path, &info) == 0 { return .file(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard stat(folder, &info) == 0 else { return nil }  // a missing folder: the write itself will fail (74)
        return .newEntry(folderDevice: UInt64(info.st_dev), folderInode: UInt64(info.st_ino), name: name)
    }
}
