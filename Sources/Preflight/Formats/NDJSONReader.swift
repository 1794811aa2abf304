/// Reads NDJSON: every physical line is a row, parsed on its own with simdjson so that a bad
/// line gets its own error and reading goes on with the next.
final class NDJSONReader {
    let recordCap: Int
    private let parser: JSONParser
    /// For lines too close to the end of the readable bytes to parse in place.
    private var scratch: UnsafeMutableRawBufferPointer
    var lineEndings = LineEndings()

    init(recordCap: Int) throws(PreflightError) {
        parser = try JSONParser()
        self.recordCap = recordCap
        scratch = .allocate(byteCount: 4096, alignment: 64)
    }

    deinit {
        scratch.deallocate()
    }

    /// Reads the lines that start in `start..<chunkEnd`. `readable` bytes from the buffer's start
    /// may be read (simdjson's padding). When `isFinal` is false, a last line without a line break
    /// is left for the next call. Returns where reading stopped. `visit` returns false to stop.
    /// `validUTF8Until`: the bytes before it are known to be valid UTF-8 (lines there skip the check).
    func read(_ bytes: UnsafeRawBufferPointer, readable: Int, from start: Int, to chunkEnd: Int, dataEnd: Int,
              isFinal: Bool, firstLine: Int, validUTF8Until: Int = 0,
              _ visit: (JSONRow) throws(PreflightError) -> Bool) throws(PreflightError) -> Int {
        var position = start
        var line = firstLine
        while position < chunkEnd {
            let lf = Bytes.nextLF(bytes, from: position, to: dataEnd)
            if lf == nil, !isFinal { return position }
            var contentEnd = lf ?? dataEnd
            if lf != nil {
                if contentEnd > position, bytes[contentEnd - 1] == Bytes.cr {
                    contentEnd -= 1
                    lineEndings.crlf += 1
                } else {
                    lineEndings.lf += 1
                }
            }
            let content = try parseLine(bytes, readable: readable, from: position, to: contentEnd,
                                        knownUTF8: contentEnd <= validUTF8Until)
            let next = lf.map { $0 + 1 } ?? dataEnd
            if !(try visit(JSONRow(line: line, start: position, end: contentEnd, next: next, content: content))) { return next }
            line += 1
            position = next
        }
        return position
    }

    private func parseLine(_ bytes: UnsafeRawBufferPointer, readable: Int, from start: Int, to end: Int,
                           knownUTF8: Bool) throws(PreflightError) -> JSONRow.Content {
        let length = end - start
        if length > recordCap { return .tooLarge }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if Bytes.isWhitespace(text) { return .emptyLine }
        if !knownUTF8, !Bytes.isValidUTF8(bytes, from: start, to: end) { return .invalidUTF8 }

        var pointer = bytes.baseAddress! + start
        var capacity = readable - start
        if capacity - length < InputBytes.padding {
            // Too near the end of what may be read: parse a padded copy instead.
            if scratch.count < length + InputBytes.padding {
                scratch.deallocate()
                scratch = .allocate(byteCount: max(length + InputBytes.padding, scratch.count * 2), alignment: 64)
            }
            scratch.baseAddress!.copyMemory(from: pointer, byteCount: length)
            scratch.baseAddress!.advanced(by: length).initializeMemory(as: UInt8.self, repeating: 0x20,
                                                                       count: InputBytes.padding)
            pointer = UnsafeRawPointer(scratch.baseAddress!)
            capacity = scratch.count
        }
        switch try parser.parseObject(pointer, length: length, capacity: capacity) {
        case .object(let object): return .object(object)
        case .notAnObject: return .notAnObject
        case .failed(.controlCharacter, _): return .controlCharacter
        case .failed(.invalidUTF8, _): return .invalidUTF8
        case .failed(.syntax(let message, _), _): return .syntaxError(detail: message)
        case .failed(.wrongShape, _): throw .parserFailure("a JSON line parsed as a document")
        }
    }
}
