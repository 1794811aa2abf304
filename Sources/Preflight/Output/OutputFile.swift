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

    /// Creates (or empties) the file at `path`.
    public static func create(path: String) throws(PreflightError) -> OutputFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw .cannotWrite(path, errno: errno) }
        return OutputFile(descriptor: descriptor, path: path, closesDescriptor: true)
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
