#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered writer on a file descriptor, for the outputs written while a run goes (the NDJSON
/// error stream, the rejects/clean split). A failed write (a full disk, a closed pipe) is an
/// error: an output cut short must not pass for a complete one.
public final class OutputFile {
    /// The name used in error messages.
    public let path: String
    private let descriptor: Int32
    private let closesDescriptor: Bool
    private var buffer: [UInt8] = []
    private static let flushSize = 1 << 16
    /// For a file written through a temporary one: the temporary's path and the final path.
    private var replacement: (temporary: String, final: String)?
    /// Whether the descriptor is a regular file (one that can be emptied again).
    private let isRegular: Bool

    /// A new file at `path`, written to a temporary file in the same folder and renamed to `path`
    /// only by `commit()`: until then an existing file at `path` is left as it is, and a run that
    /// fails or stops leaves no partial file under that name (the temporary is removed when this
    /// object goes away uncommitted). A symbolic link at `path` is followed: its target is replaced
    /// (or created, for a link to nothing yet). A device or pipe (`/dev/null`, a FIFO) is written
    /// directly. The folder must be writable; the temporary file is `.NAME.preflight-` and six
    /// random characters, there.
    public static func create(path: String) throws(PreflightError) -> OutputFile {
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists, info.st_mode & S_IFMT != S_IFREG {
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            if descriptor < 0 { throw .cannotWrite(path, errno: errno) }
            return OutputFile(descriptor: descriptor, path: path, closesDescriptor: true)
        }
        let final = exists ? (realPath(path) ?? path) : (linkTarget(path) ?? path)
        let slash = final.lastIndex(of: "/")
        let folder = slash.map { String(final[...$0]) } ?? ""
        let name = slash.map { String(final[final.index(after: $0)...]) } ?? final
        // A name near the file system's limit (255 bytes) gets a short temporary name.
        let prefix = name.utf8.count > 200 ? ".preflight-" : "." + name + ".preflight-"
        guard let (descriptor, temporary) = UniqueName.file(folder + prefix) else { throw .cannotWrite(path, errno: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        // The permissions the file would get if created directly, or those of the file it replaces.
        _ = fchmod(descriptor, exists ? info.st_mode & 0o7777 : 0o666 & ~fileCreationMask)
        let file = OutputFile(descriptor: descriptor, path: path, closesDescriptor: true)
        file.replacement = (temporary, final)
        TemporaryFiles.add(temporary)
        return file
    }

    /// Removes every temporary output file not yet committed or discarded. Safe to call from a
    /// signal handler (it only calls `unlink`): a process ended by a second Ctrl-C or SIGTERM
    /// leaves no temporary file behind.
    public static func removeTemporaryFiles() {
        TemporaryFiles.removeAll()
    }

    /// Where a symbolic link at `path` that points to nothing yet points (nil when `path` is not
    /// such a link).
    private static func linkTarget(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        guard let slash = path.lastIndex(of: "/") else { return target }
        return String(path[...slash]) + target
    }

    /// Finishes the file: writes what is buffered, and puts a file written through a temporary
    /// one in its place (flushed to disk first, so a crash leaves the old file or the new one).
    public func commit() throws(PreflightError) {
        try flush()
        guard let replacement else { return }
        if fsync(descriptor) != 0 { throw .cannotWrite(path, errno: errno) }
        if rename(replacement.temporary, replacement.final) != 0 { throw .cannotWrite(path, errno: errno) }
        TemporaryFiles.remove(replacement.temporary)
        self.replacement = nil
    }

    /// Drops a file written through a temporary one: the temporary is removed, `path` is untouched.
    public func discard() {
        guard let replacement else { return }
        TemporaryFiles.remove(replacement.temporary)
        unlink(replacement.temporary)
        self.replacement = nil
    }

    /// The process's umask, read once (reading it means setting it, so it is set straight back).
    private static let fileCreationMask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// An anonymous temporary file (gone when closed), for output held back until a run ends.
    static func temporary() throws(PreflightError) -> OutputFile {
        let name = "a temporary file"
        guard let file = tmpfile() else { throw .cannotWrite(name, errno: errno) }
        // Keep only the descriptor: the stream's own buffering is not used.
        let descriptor = dup(fileno(file))
        let failure = errno
        fclose(file)
        if descriptor < 0 { throw .cannotWrite(name, errno: failure) }
        return OutputFile(descriptor: descriptor, path: name, closesDescriptor: true)
    }

    /// Writes to a descriptor the caller owns (standard output).
    public init(descriptor: Int32, path: String, closesDescriptor: Bool = false) {
        var info = stat()
        isRegular = fstat(descriptor, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        self.descriptor = descriptor
        self.path = path
        self.closesDescriptor = closesDescriptor
        buffer.reserveCapacity(Self.flushSize)
    }

    deinit {
        discard()
        if closesDescriptor { close(descriptor) }
    }

    /// Writes `bytes`, buffered: they reach the descriptor when the 64 KiB buffer fills or on
    /// ``flush()``; a piece of 64 KiB or more goes straight through. Throws
    /// ``PreflightError/cannotWrite(path:reason:errno:)`` when a write the call makes fails.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        if buffer.count + bytes.count > Self.flushSize {
            try flush()
            if bytes.count >= Self.flushSize {  // a long row: straight through
                try writeAll(bytes)
                return
            }
        }
        buffer.append(contentsOf: bytes)
    }

    /// Writes `text` as UTF-8, buffered as bytes are.
    public func write(_ text: String) throws(PreflightError) {
        if buffer.count + text.utf8.count > Self.flushSize { try flush() }
        buffer.append(contentsOf: text.utf8)
    }

    /// Writes one byte, buffered as bytes are.
    public func write(byte: UInt8) throws(PreflightError) {
        if buffer.count >= Self.flushSize { try flush() }
        buffer.append(byte)
    }

    /// Writes everything buffered to the descriptor; throws
    /// ``PreflightError/cannotWrite(path:reason:errno:)`` when the system refuses it. A file from
    /// ``create(path:)`` gets the bytes in its temporary file: only ``commit()`` puts it in place.
    public func flush() throws(PreflightError) {
        guard !buffer.isEmpty else { return }
        let failure = buffer.withUnsafeBytes { Self.writeAll($0, to: descriptor) }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .cannotWrite(path, errno: failure) }
    }

    /// Drops everything written so far (a regular file only).
    func truncate() throws(PreflightError) {
        buffer.removeAll(keepingCapacity: true)
        // A device or pipe cannot take back what it was given: only what is buffered is dropped.
        guard isRegular else { return }
        if ftruncate(descriptor, 0) != 0 || lseek(descriptor, 0, SEEK_SET) < 0 { throw .cannotWrite(path, errno: errno) }
    }

    /// This file's whole content (written so far), read back.
    func contents() throws(PreflightError) -> [UInt8] {
        var bytes: [UInt8] = []
        try readBack { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Copies this file's whole content (written so far) to `target`.
    func copy(to target: OutputFile) throws(PreflightError) {
        try target.flush()
        try readBack { (bytes) throws(PreflightError) in
            let failure = Self.writeAll(bytes, to: target.descriptor)
            if failure != 0 { throw .cannotWrite(target.path, errno: failure) }
        }
    }

    /// Reads the whole content from its start, piece by piece.
    private func readBack(_ consume: (UnsafeRawBufferPointer) throws(PreflightError) -> Void) throws(PreflightError) {
        try flush()
        if lseek(descriptor, 0, SEEK_SET) < 0 { throw .cannotWrite(path, errno: errno) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.flushSize, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let got = read(descriptor, chunk.baseAddress!, chunk.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path, errno: errno)
            }
            if got == 0 { return }
            try consume(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        let failure = Self.writeAll(bytes, to: descriptor)
        if failure != 0 { throw .cannotWrite(path, errno: failure) }
    }

    /// Writes all of `bytes`; returns 0, or the errno of the failure.
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32 {
        var written = 0
        while written < bytes.count {
            let result = writeToDescriptor(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += result
        }
        return 0
    }
}

/// The temporary output files (and scratch folders) of the process that are not yet in place, as
/// C strings in a fixed table, so that a signal handler can remove them without allocating or
/// locking.
enum TemporaryFiles {
    private static let capacity = 32
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        return slots
    }()

    /// Remembers `path` (beyond 32 at once, the extra ones are only removed the normal way).
    static func add(_ path: String) {
        for index in 0..<capacity where slots[index] == nil {
            slots[index] = strdup(path)
            return
        }
    }

    static func remove(_ path: String) {
        for index in 0..<capacity {
            guard let entry = slots[index], strcmp(entry, path) == 0 else { continue }
            slots[index] = nil  // cleared before it is freed: a handler never sees a freed path
            free(entry)
            return
        }
    }

    /// Only `unlink`, and `rmdir` for a folder (`TemporaryFolder`): async-signal-safe.
    static func removeAll() {
        for index in 0..<capacity {
            if let entry = slots[index], unlink(entry) != 0 { rmdir(entry) }
        }
    }
}

/// write(2), at file scope: inside `OutputFile`, `write` names its own methods.
private func writeToDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Names no other file has, made by the system: `prefix` and six random characters.
enum UniqueName {
    /// mkstemp(3)'s template: the prefix, then the six characters it replaces.
    private static func template(_ prefix: String) -> [CChar] {
        Array((prefix + String(repeating: "X", count: 6)).utf8CString)
    }

    private static func string(_ template: [CChar]) -> String {
        String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A new file (open for reading and writing, permissions 0600) and its path; nil with `errno` set.
    static func file(_ prefix: String) -> (descriptor: Int32, path: String)? {
        var pattern = template(prefix)
        let descriptor = pattern.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        return descriptor < 0 ? nil : (descriptor, string(pattern))
    }

    /// A new folder (permissions 0700) and its path; nil with `errno` set.
    static func folder(_ prefix: String) -> String? {
        var pattern = template(prefix)
        let made = pattern.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return made == nil ? nil : string(pattern)
    }
}
