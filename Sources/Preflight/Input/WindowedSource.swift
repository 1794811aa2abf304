#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CGzip

/// Reads an input front to back through one reused window, so memory stays bounded by the window
/// whatever the input's size. A regular file may be mapped instead (`MappedFile`): its windows are
/// then slices of the mapping. Standard input and pipes stream through the same window; gzip input
/// (recognised by its magic bytes) is inflated on the way in. simdjson's padding is always
/// readable after the window's bytes.
final class WindowedSource {
    private enum Origin {
        case descriptor(Int32, closeWhenDone: Bool)
        case memory([UInt8])
        /// Chunks handed over by an async producer (`ChunkFeed`).
        case feed(ChunkReader)
        /// A regular file mapped whole: the window is `windowStart..<windowStart + count` of it.
        case mapped(MappedFile)
    }

    private let origin: Origin
    private var memoryOffset = 0
    /// A mapped file: the window's offset in it.
    private var windowStart = 0
    /// A regular file's size when it was opened: reading more or fewer bytes means it changed.
    private var expectedSize: Int?
    /// A regular file opened by path: what identifies its content (device, inode, size,
    /// modification time), so that a second reading of a file changed since is refused.
    private var identity: [Int] = []
    /// Where the input ends for this reading, when not at its last byte (a wrapper's array).
    private var endLimit: Int?
    /// Whether the first bytes were looked at for gzip's magic number yet.
    private var sniffed = false
    private var gzip: GzipInput?

    /// Compressed bytes waiting to be inflated, and the decoder.
    private final class GzipInput {
        let decoder: OpaquePointer
        let input: UnsafeMutableRawBufferPointer
        var start = 0
        var count = 0
        var inputEnded = false

        init?(prefix: UnsafeRawBufferPointer) {
            guard let decoder = pfgz_create() else { return nil }
            self.decoder = decoder
            input = .allocate(byteCount: 1 << 20, alignment: 16)
            input.baseAddress!.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count)
            count = prefix.count
        }

        deinit {
            pfgz_destroy(decoder)
            input.deallocate()
        }
    }
    let name: String
    private(set) var windowSize: Int
    /// The window size asked for (a small known input gets a smaller one, unless it is gzip).
    private let requestedWindowSize: Int
    private var buffer: UnsafeMutableRawBufferPointer
    /// The input's size on disk when known (a regular file, or bytes in memory): what progress
    /// is measured against.
    let inputSize: Int?
    /// Bytes taken from the input itself (compressed ones for gzip): progress so far.
    private(set) var inputBytesRead = 0
    /// Valid bytes at the start of the window.
    private(set) var count = 0
    /// Whether the window holds the input's last byte.
    private(set) var atEnd = false
    /// Bytes read from the input so far.
    private(set) var bytesRead = 0

    var bytes: UnsafeRawBufferPointer {
        if case .mapped(let file) = origin { return UnsafeRawBufferPointer(start: file.base + windowStart, count: count) }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
    }
    /// Bytes that may be read from the window's start (the valid ones, then padding).
    var readable: Int { count + InputBytes.padding }

    /// `knownSize`: the input's size when known, so a small input gets a small window.
    private init(origin: Origin, name: String, windowSize: Int, knownSize: Int? = nil) {
        self.origin = origin
        self.name = name
        requestedWindowSize = windowSize
        inputSize = knownSize
        // One byte more than a known size, so that the end of the input is seen in one read.
        self.windowSize = knownSize.map { min(windowSize, max($0 + 1, 4096)) } ?? windowSize
        if case .descriptor = origin { expectedSize = knownSize } else { expectedSize = nil }
        if case .mapped = origin {
            sniffed = true  // not gzip: looked at before mapping
            buffer = Self.allocateWindow(0)  // unused
        } else {
            buffer = Self.allocateWindow(self.windowSize)
        }
    }

    deinit {
        Self.deallocateWindow(buffer)
        if case .descriptor(let descriptor, true) = origin { close(descriptor) }
    }

    /// Opens a file for reading (a directory or a missing file is an error). `maps`: a regular,
    /// non-empty file that is not gzip is mapped rather than read (see `MappedFile`).
    static func open(path: String, windowSize: Int, maps: Bool = false) throws(PreflightError) -> WindowedSource {
        let descriptor = openForReading(path)
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
        let modified = status.modificationTime
        let identity = [Int(status.st_dev), Int(status.st_ino), Int(status.st_size), modified.seconds, modified.nanoseconds]
        if maps, let size = knownSize, let head = MappedFile.firstTwoBytes(of: descriptor),
           head != (0x1F, 0x8B), let file = MappedFile(descriptor: descriptor, size: size) {
            let source = WindowedSource(origin: .mapped(file), name: path, windowSize: windowSize, knownSize: size)
            source.identity = identity
            return source
        }
        let source = WindowedSource(origin: .descriptor(descriptor, closeWhenDone: true), name: path,
                                    windowSize: windowSize, knownSize: knownSize)
        source.identity = identity
        return source
    }

    /// Streams from a descriptor the caller owns (standard input).
    static func stream(descriptor: Int32, name: String, windowSize: Int) -> WindowedSource {
        WindowedSource(origin: .descriptor(descriptor, closeWhenDone: false), name: name, windowSize: windowSize)
    }

    /// Streams the chunks a producer puts into `feed`.
    static func feed(_ feed: ChunkFeed, name: String, windowSize: Int) -> WindowedSource {
        WindowedSource(origin: .feed(ChunkReader(feed)), name: name, windowSize: windowSize)
    }

    /// Reads bytes held in memory through the same window.
    static func memory(_ bytes: [UInt8], name: String, windowSize: Int) -> WindowedSource {
        WindowedSource(origin: .memory(bytes), name: name, windowSize: windowSize, knownSize: bytes.count)
    }

    /// Reads up to `capacity` raw bytes of the input; 0 at its end.
    private func readRaw(into target: UnsafeMutableRawPointer, capacity: Int) throws(PreflightError) -> Int {
        switch origin {
        case .descriptor(let descriptor, _):
            while true {
                let got = read(descriptor, target, capacity)
                if got >= 0 {
                    inputBytesRead += got
                    return got
                }
                if errno != EINTR { throw .cannotRead(name, errno: errno) }
            }
        case .memory(let data):
            let got = min(capacity, data.count - memoryOffset)
            if got > 0 {
                data.withUnsafeBytes { target.copyMemory(from: $0.baseAddress! + memoryOffset, byteCount: got) }
            }
            memoryOffset += got
            inputBytesRead += got
            return got
        case .feed(let reader):
            let got = try reader.read(into: target, capacity: capacity)
            inputBytesRead += got
            return got
        case .mapped:
            preconditionFailure("a mapped file is not read")
        }
    }

    /// Looks at the first two bytes: gzip's magic number switches to inflating.
    private func sniffCompression() throws(PreflightError) {
        sniffed = true
        // Read straight into the window: if this is not gzip, they are the input's first bytes.
        let head = buffer.baseAddress! + count
        var got = 0
        while got < 2 {
            let more = try readRaw(into: head + got, capacity: 2 - got)
            if more == 0 { break }
            got += more
        }
        if got == 2, head.load(as: UInt8.self) == 0x1F, head.load(fromByteOffset: 1, as: UInt8.self) == 0x8B {
            guard let input = GzipInput(prefix: UnsafeRawBufferPointer(start: head, count: 2)) else { throw .outOfMemory }
            gzip = input
            expectedSize = nil  // the file's size is the compressed one
            if windowSize < requestedWindowSize {
                // The window was sized for the compressed file; what comes out may be far larger.
                Self.deallocateWindow(buffer)
                windowSize = requestedWindowSize
                buffer = Self.allocateWindow(windowSize)
            }
            return
        }
        count += got
        bytesRead += got
        if got < 2 { atEnd = true }
    }

    /// Inflates into the window until it is full or the compressed input ends.
    private func fillFromGzip(_ gzip: GzipInput) throws(PreflightError) {
        while count < windowSize, !atEnd {
            if gzip.start == gzip.count, !gzip.inputEnded {
                gzip.start = 0
                gzip.count = try readRaw(into: gzip.input.baseAddress!, capacity: gzip.input.count)
                if gzip.count == 0 { gzip.inputEnded = true }
            }
            var consumed = 0
            var produced = 0
            let status = pfgz_inflate(gzip.decoder, gzip.input.baseAddress! + gzip.start, gzip.count - gzip.start,
                                      gzip.inputEnded ? 1 : 0, buffer.baseAddress! + count, windowSize - count,
                                      &consumed, &produced)
            gzip.start += consumed
            count += produced
            bytesRead += produced
            switch status {
            case Int32(PFGZ_OK): continue
            case Int32(PFGZ_END): atEnd = true
            case Int32(PFGZ_NO_MEMORY): throw .outOfMemory
            default: throw .corruptGzip(name)
            }
        }
    }

    /// Drops the window's bytes before `offset`, moves the rest to the front and reads until the
    /// window is full or the input ends.
    func refill(keepingFrom offset: Int) throws(PreflightError) {
        precondition(offset >= 0 && offset <= count)
        if case .mapped(let file) = origin {
            windowStart += offset
            let end = min(file.size, endLimit ?? file.size)
            count = max(0, min(windowSize, end - windowStart))
            bytesRead = windowStart + count
            inputBytesRead = bytesRead
            atEnd = bytesRead == end
            file.release(before: windowStart)
            guard file.isUnchanged else { throw .changedWhileReading(name) }
            return
        }
        let kept = count - offset
        if kept > 0, offset > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + offset, byteCount: kept)
        }
        count = kept
        if !sniffed { try sniffCompression() }
        if let gzip {
            try fillFromGzip(gzip)
        } else {
            while count < windowSize, !atEnd {
                let got = try readRaw(into: buffer.baseAddress! + count, capacity: windowSize - count)
                if got == 0 { atEnd = true }
                count += got
                bytesRead += got
            }
        }
        if let expectedSize, endLimit == nil, atEnd ? bytesRead != expectedSize : bytesRead > expectedSize {
            throw .changedWhileReading(name)
        }
        if let endLimit, bytesRead >= endLimit {
            // Bytes past the end of this reading are not part of it.
            count -= bytesRead - endLimit
            bytesRead = endLimit
            atEnd = true
        }
        // simdjson may read the padding after the last valid byte: keep it harmless.
        (buffer.baseAddress! + count).initializeMemory(as: UInt8.self, repeating: 0x20, count: InputBytes.padding)
    }


    /// Everything from the window's start to the end of the input, in one padded buffer.
    /// Reads the rest of the input into one buffer (the JSON wrapper path). `afterRead` is told
    /// the input bytes read before and after each read (progress), and may throw to stop.
    func readWholeInput(afterRead: (Int, Int) throws(PreflightError) -> Void) throws(PreflightError) -> InputBytes {
        var data = Array(bytes)
        while !atEnd {
            let before = inputBytesRead
            try refill(keepingFrom: count)
            try afterRead(before, inputBytesRead)
            data.append(contentsOf: bytes)
        }
        return data.withUnsafeBytes { InputBytes.copying($0) }
    }

    /// The window's memory, reused for the whole run (huge pages where the system has them: fewer
    /// page faults and TLB misses on a 64 MiB buffer), with room for the padding.
    private static func allocateWindow(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let byteCount = size + InputBytes.padding
        return UnsafeMutableRawBufferPointer(start: PageMemory.allocate(byteCount: byteCount), count: byteCount)
    }

    private static func deallocateWindow(_ buffer: UnsafeMutableRawBufferPointer) {
        PageMemory.deallocate(buffer.baseAddress!, byteCount: buffer.count)
    }

    /// Ends this reading at byte `end` of the input (before any byte past it is read).
    func limit(to end: Int) {
        endLimit = end
    }

    /// Moves the window to start at byte `offset` of the input (at or after the window's start)
    /// and fills it: a regular file seeks (a mapped one moves its window); anything else reads
    /// and drops the bytes before it.
    func skip(to offset: Int) throws(PreflightError) {
        precondition(offset >= bytesRead - count)
        if offset > bytesRead, case .mapped(let file) = origin {
            guard offset <= min(file.size, endLimit ?? file.size) else { throw .changedWhileReading(name) }
            windowStart = offset
            count = 0
            try refill(keepingFrom: 0)
            return
        }
        if offset > bytesRead, case .descriptor(let descriptor, true) = origin, sniffed, gzip == nil, inputSize != nil,
           lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) {
            count = 0
            bytesRead = offset
            inputBytesRead = offset
            try refill(keepingFrom: 0)
            return
        }
        while bytesRead < offset, !atEnd { try refill(keepingFrom: count) }
        // The input ends before the offset a first reading found in it: it changed since.
        guard bytesRead >= offset else { throw .changedWhileReading(name) }
        try refill(keepingFrom: max(0, count - (bytesRead - offset)))
    }

    /// Whether the input can be opened again from its start: a regular file opened by path, or
    /// bytes in memory (not standard input, a pipe or async chunks).
    var canReadAgain: Bool {
        switch origin {
        case .mapped, .memory: return true
        case .descriptor(_, let opened): return opened && inputSize != nil
        case .feed: return false
        }
    }

    /// The same input opened again, to be read from its start (only when `canReadAgain`). A file
    /// whose size changed since it was first opened is refused.
    func reopened() throws(PreflightError) -> WindowedSource {
        switch origin {
        case .memory(let data):
            return .memory(data, name: name, windowSize: requestedWindowSize)
        case .mapped, .descriptor:
            let again = try WindowedSource.open(path: name, windowSize: requestedWindowSize, maps: isMapped)
            guard again.identity == identity else { throw .changedWhileReading(name) }
            return again
        case .feed:
            preconditionFailure("a stream cannot be read again")
        }
    }

    /// Reads `size` bytes of a scratch file from its start (the copy of a stream's held-back rows),
    /// named like the input for messages. The descriptor is duplicated: the source closes its own.
    static func scratch(descriptor: Int32, size: Int, name: String, windowSize: Int) throws(PreflightError)
        -> WindowedSource {
        let own = dup(descriptor)
        if own < 0 || lseek(own, 0, SEEK_SET) != 0 { throw .cannotRead("a temporary file", errno: errno) }
        return WindowedSource(origin: .descriptor(own, closeWhenDone: true), name: name, windowSize: windowSize,
                              knownSize: size)
    }

    private var isMapped: Bool {
        if case .mapped = origin { return true }
        return false
    }

    /// Whether the input is gzip (its size on disk says little about the bytes to come).
    var isCompressed: Bool { gzip != nil }

    /// Whether the window is as full as it can get.
    var isFull: Bool { count >= windowSize }
}

/// open(2) for reading, at file scope: inside `WindowedSource`, `open` names its own factory.
private func openForReading(_ path: String) -> Int32 {
    open(path, O_RDONLY | O_CLOEXEC)
}
