#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an input front to back through one reused window, so memory stays bounded by the window
/// whatever the input's size. Standard input and pipes stream through the same window.
/// simdjson's padding is always readable after the window's bytes.
final class WindowedSource {
    private enum Origin {
        case descriptor(Int32, closeWhenDone: Bool)
        case memory([UInt8])
    }

    private let origin: Origin
    private var memoryOffset = 0
    /// A regular file's size when it was opened: reading more or fewer bytes means it changed.
    private let expectedSize: Int?
    let name: String
    let windowSize: Int
    private let buffer: UnsafeMutableRawBufferPointer
    /// Valid bytes at the start of the window.
    private(set) var count = 0
    /// Whether the window holds the input's last byte.
    private(set) var atEnd = false
    /// Bytes read from the input so far.
    private(set) var bytesRead = 0

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count]) }
    /// Bytes that may be read from the window's start (the valid ones, then padding).
    var readable: Int { count + InputBytes.padding }

    /// `knownSize`: the input's size when known, so a small input gets a small window.
    private init(origin: Origin, name: String, windowSize: Int, knownSize: Int? = nil) {
        self.origin = origin
        self.name = name
        // One byte more than a known size, so that the end of the input is seen in one read.
        self.windowSize = knownSize.map { min(windowSize, max($0 + 1, 4096)) } ?? windowSize
        if case .descriptor = origin { expectedSize = knownSize } else { expectedSize = nil }
        buffer = .allocate(byteCount: self.windowSize + InputBytes.padding, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        if case .descriptor(let descriptor, true) = origin { close(descriptor) }
    }

    /// Opens a file for reading (a directory or a missing file is an error).
    static func open(path: String, windowSize: Int) throws(PreflightError) -> WindowedSource {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw .cannotOpen(path, errno: errno) }
        var status = stat()
        if fstat(descriptor, &status) != 0 {
            let code = errno
            close(descriptor)
            throw .cannotRead(path, errno: code)
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw .isDirectory(path)
        }
        #if os(Linux)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let knownSize = (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : nil
        return WindowedSource(origin: .descriptor(descriptor, closeWhenDone: true), name: path, windowSize: windowSize,
                              knownSize: knownSize)
    }

    /// Streams from a descriptor the caller owns (standard input).
    static func stream(descriptor: Int32, name: String, windowSize: Int) -> WindowedSource {
        WindowedSource(origin: .descriptor(descriptor, closeWhenDone: false), name: name, windowSize: windowSize)
    }

    /// Reads bytes held in memory through the same window.
    static func memory(_ bytes: [UInt8], name: String, windowSize: Int) -> WindowedSource {
        WindowedSource(origin: .memory(bytes), name: name, windowSize: windowSize, knownSize: bytes.count)
    }

    /// Drops the window's bytes before `offset`, moves the rest to the front and reads until the
    /// window is full or the input ends.
    func refill(keepingFrom offset: Int) throws(PreflightError) {
        precondition(offset >= 0 && offset <= count)
        let kept = count - offset
        if kept > 0, offset > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + offset, byteCount: kept)
        }
        count = kept
        while count < windowSize, !atEnd {
            let got: Int
            switch origin {
            case .descriptor(let descriptor, _):
                got = read(descriptor, buffer.baseAddress! + count, windowSize - count)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw .cannotRead(name, errno: errno)
                }
            case .memory(let data):
                got = min(windowSize - count, data.count - memoryOffset)
                if got > 0 {
                    data.withUnsafeBytes { source in
                        (buffer.baseAddress! + count).copyMemory(from: source.baseAddress! + memoryOffset, byteCount: got)
                    }
                }
                memoryOffset += got
            }
            if got == 0 { atEnd = true }
            count += got
            bytesRead += got
        }
        if let expectedSize, atEnd ? bytesRead != expectedSize : bytesRead > expectedSize {
            throw .changedWhileReading(name)
        }
        // simdjson may read the padding after the last valid byte: keep it harmless.
        (buffer.baseAddress! + count).initializeMemory(as: UInt8.self, repeating: 0x20, count: InputBytes.padding)
    }

    /// Fills the first window and tells whether the input (after a BOM) starts with `[`.
    func startsWithJSONArray() throws(PreflightError) -> Bool {
        if count == 0, !atEnd { try refill(keepingFrom: 0) }
        return JSONArrayScanner.startsWithArray(bytes, from: Bytes.hasBOM(bytes) ? 3 : 0)
    }

    /// Everything from the window's start to the end of the input, in one padded buffer.
    func readWholeInput() throws(PreflightError) -> InputBytes {
        var data = Array(bytes)
        while !atEnd {
            try refill(keepingFrom: count)
            data.append(contentsOf: bytes)
        }
        return data.withUnsafeBytes { InputBytes.copying($0) }
    }

    /// Whether the window is as full as it can get.
    var isFull: Bool { count >= windowSize }
}
