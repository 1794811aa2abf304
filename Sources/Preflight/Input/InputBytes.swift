#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSimdJSON

/// The bytes of a whole input held in memory (a JSON wrapper document), with simdjson's padding
/// after them.
final class InputBytes {
    let bytes: UnsafeRawBufferPointer
    /// Bytes readable from `bytes.baseAddress`: at least `bytes.count`.
    let readable: Int
    private let release: () -> Void

    private init(bytes: UnsafeRawBufferPointer, readable: Int, release: @escaping () -> Void) {
        self.bytes = bytes
        self.readable = readable
        self.release = release
    }

    deinit { release() }

    var count: Int { bytes.count }

    /// Padding simdjson needs after a document.
    static let padding = csj_padding()

    /// A whole file's bytes (schema files, `infer`'s sample) with simdjson padding after them;
    /// past `cap` bytes, only up to the last line break within them.
    static func reading(path: String, cap: Int? = nil) throws(PreflightError) -> InputBytes {
        guard let file = fopen(path, "rb") else { throw .cannotOpen(path, errno: errno) }
        defer { fclose(file) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while cap.map({ data.count < $0 }) ?? true {
            let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if got == 0 { break }
            data += buffer[0..<got]
        }
        if ferror(file) != 0 { throw .cannotRead(path, errno: errno) }
        if let cap, data.count >= cap, let lastLF = data.lastIndex(of: Bytes.lf) { data.removeSubrange((lastLF + 1)...) }
        return data.withUnsafeBytes { InputBytes.copying($0) }
    }

    /// A copy of `data` with simdjson padding after it.
    static func copying(_ data: UnsafeRawBufferPointer) -> InputBytes {
        let capacity = data.count + padding
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        if let base = data.baseAddress, data.count > 0 {
            buffer.baseAddress!.copyMemory(from: base, byteCount: data.count)
        }
        buffer.baseAddress!.advanced(by: data.count).initializeMemory(as: UInt8.self, repeating: 0x20, count: padding)
        return InputBytes(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<data.count]), readable: capacity,
                          release: { buffer.deallocate() })
    }
}

/// Byte-level helpers shared by the readers.
enum Bytes {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let quote: UInt8 = 0x22

    /// Whether the bytes start with a UTF-8 byte order mark.
    /// Whether every byte is JSON whitespace or a line break (space, tab, CR, LF).
    static func isWhitespace(_ text: UnsafeRawBufferPointer) -> Bool {
        for byte in text where byte != 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D { return false }
        return true
    }

    /// Whether the bytes start with gzip's magic number.
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    static func hasBOM(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// Index of the next LF in `start..<end`, or nil.
    @inline(__always)
    static func nextLF(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(lf), end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Index of the next `byte` in `start..<end`, or nil.
    @inline(__always)
    static func next(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Number of LFs in `start..<end`.
    static func countLF(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var count = 0
        var position = start
        while let found = nextLF(bytes, from: position, to: end) {
            count += 1
            position = found + 1
        }
        return count
    }

    /// Number of `"` in `start..<end`.
    static func countQuotes(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var count = 0
        var position = start
        while position < end, let found = memchr(bytes.baseAddress! + position, Int32(quote), end - position) {
            count += 1
            position = bytes.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
        }
        return count
    }

    /// Whether `start..<end` holds any byte below 0x20 (tab and line breaks included): when
    /// false, no value in it can hold a control character. Eight bytes at a time.
    @inline(__always)
    static func hasByteBelowSpace(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        guard end > start, let base = bytes.baseAddress else { return false }
        var index = start
        while index + 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // A byte below 0x20 is the only way for (byte - 0x20) to borrow into its high bit
            // while the byte's own high bit is clear.
            if (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080 != 0 { return true }
            index += 8
        }
        while index < end {
            if base.load(fromByteOffset: index, as: UInt8.self) < 0x20 { return true }
            index += 1
        }
        return false
    }

    /// Whether `start..<end` is valid UTF-8 (simdjson's validator).
    @inline(__always)
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        guard end > start else { return true }
        return csj_validate_utf8(bytes.baseAddress! + start, end - start) != 0
    }

    /// Offset of the first byte of the first invalid UTF-8 sequence in `start..<end`, or nil.
    /// Scalar, for error messages only.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            let lead = bytes[index]
            var length = 0
            var minimum: UInt32 = 0
            var scalar: UInt32 = 0
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            if index + length > end { return index }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                if byte & 0xC0 != 0x80 { return index }
                scalar = (scalar << 6) | UInt32(byte & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return index }
            index += length
        }
        return nil
    }

    /// The 1-based line that byte `offset` is on.
    static func lineNumber(of offset: Int, in bytes: UnsafeRawBufferPointer) -> Int {
        1 + countLF(bytes, from: 0, to: min(offset, bytes.count))
    }
}
