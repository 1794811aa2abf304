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

    /// A new file at `path`, written to a temporary file in the same folder and renamed to `path`
    /// only by `commit()`: until then an existing file at `path` is left as it is, and a run that
    /// fails or stops leaves no partial file under that name (the temporary is removed when this
    /// object goes away uncommitted). A symbolic link at `path` is followed: its target is replaced.
    /// A device or pipe (`/dev/null`, a FIFO) is written directly.
    public static func create(path: String) throws(PreflightError) -> OutputFile {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            if descriptor < 0 { throw .cannotWrite(path, errno: errno) }
            return OutputFile(descriptor: descriptor, path: path, closesDescriptor: true)
        }
        let exists = stat(path, &info) == 0
        let final = exists ? (realPath(path) ?? path) : path
        let slash = final.lastIndex(of: "/")
        let folder = slash.map { String(final[...$0]) } ?? ""
        let name = slash.map { String(final[final.index(after: $0)...]) } ?? final
        var template = Array((folder + "." + name + ".preflight-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if descriptor < 0 { throw .cannotWrite(path, errno: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The permissions the file would get if created directly, or those of the file it replaces.
        _ = fchmod(descriptor, exists ? info.st_mode & 0o7777 : 0o666 & ~fileCreationMask)
        let file = OutputFile(descriptor: descriptor, path: path, closesDescriptor: true)
        file.replacement = (temporary, final)
        return file
    }

    /// Finishes the file: writes what is buffered, and puts a file written through a temporary
    /// one in its place (flushed to disk first, so a crash leaves the old file or the new one).
    public func commit() throws(PreflightError) {
        try flush()
        guard let replacement else { return }
        if fsync(descriptor) != 0 { throw .cannotWrite(path, errno: errno) }
        if rename(replacement.temporary, replacement.final) != 0 { throw .cannotWrite(path, errno: errno) }
        self.replacement = nil
    }

    /// Drops a file written through a temporary one: the temporary is removed, `path` is untouched.
    public func discard() {
        guard let replacement else { return }
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
        self.descriptor = descriptor
        self.path = path
        self.closesDescriptor = closesDescriptor
        buffer.reserveCapacity(Self.flushSize)
    }

    deinit {
        discard()
        if closesDescriptor { close(descriptor) }
    }

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

    public func write(_ text: String) throws(PreflightError) {
        if buffer.count + text.utf8.count > Self.flushSize { try flush() }
        buffer.append(contentsOf: text.utf8)
    }

    public func write(byte: UInt8) throws(PreflightError) {
        if buffer.count >= Self.flushSize { try flush() }
        buffer.append(byte)
    }

    public func flush() throws(PreflightError) {
        guard !buffer.isEmpty else { return }
        let failure = buffer.withUnsafeBytes { Self.writeAll($0, to: descriptor) }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .cannotWrite(path, errno: failure) }
    }

    /// Drops everything written so far (a regular file only).
    func truncate() throws(PreflightError) {
        buffer.removeAll(keepingCapacity: true)
        if ftruncate(descriptor, 0) != 0 || lseek(descriptor, 0, SEEK_SET) < 0 { throw .cannotWrite(path, errno: errno) }
    }

    /// Copies this file's whole content (written so far) to `target`.
    func copy(to target: OutputFile) throws(PreflightError) {
        try flush()
        if lseek(descriptor, 0, SEEK_SET) < 0 { throw .cannotWrite(path, errno: errno) }
        try target.flush()
        var chunk = [UInt8](repeating: 0, count: Self.flushSize)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path, errno: errno)
            }
            if got == 0 { return }
            let failure = chunk.withUnsafeBytes {
                Self.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<got]), to: target.descriptor)
            }
            if failure != 0 { throw .cannotWrite(target.path, errno: failure) }
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
            let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += result
        }
        return 0
    }
}
