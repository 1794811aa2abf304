/// The byte encoding of a partial result's blocks (see `PartialFile`): little-endian integers,
/// zigzag varints, length-prefixed strings. Plain and versioned by the file's header, so that a
/// partial written by one build is read by the same format version only.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func varint(_ value: Int) {
        var zigzag = UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    mutating func uint64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    mutating func raw(_ value: UnsafeRawBufferPointer) {
        varint(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked, and a short or malformed block is
/// `PartialFile.Problem.damaged` (so are sums of offsets that overflow: see `sum`).
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func varint() throws(PartialFile.Problem) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift < 64 else { throw .damaged }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let decoded = Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
        return Int(decoded)
    }

    /// A count or length: a varint that must be at least 0 and at most what is left to read
    /// (times `unit` bytes per item), so that a damaged length cannot ask for a huge allocation;
    /// `unit` 0: any size (an offset in the input, not something to allocate).
    mutating func count(unit: Int = 1) throws(PartialFile.Problem) -> Int {
        let value = try varint()
        guard value >= 0, unit == 0 || value <= (bytes.count - position) / unit else { throw .damaged }
        return value
    }

    mutating func uint64() throws(PartialFile.Problem) -> UInt64 {
        guard bytes.count - position >= 8 else { throw .damaged }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// `a + b`, or damaged when it overflows (offsets read from a file are not trusted).
    static func sum(_ a: Int, _ b: Int) throws(PartialFile.Problem) -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .damaged }
        return value
    }

    mutating func bool() throws(PartialFile.Problem) -> Bool {
        guard position < bytes.count else { throw .damaged }
        position += 1
        return bytes[position - 1] != 0
    }

    mutating func raw() throws(PartialFile.Problem) -> UnsafeRawBufferPointer {
        let length = try count()
        defer { position += length }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
    }

    mutating func string() throws(PartialFile.Problem) -> String {
        String(decoding: try raw(), as: UTF8.self)
    }

    mutating func optionalString() throws(PartialFile.Problem) -> String? {
        try bool() ? try string() : nil
    }
}

// MARK: What the blocks hold

extension ValidationIssue {
    func encode(into out: inout ByteWriter) {
        out.varint(row)
        out.varint(line)
        out.varint(order)
        out.optionalString(field)
        out.string(code)
        out.string(error)
        out.bool(isFileLevel)
        out.optionalString(value)
    }

    static func decode(from input: inout ByteReader) throws(PartialFile.Problem) -> ValidationIssue {
        let row = try input.varint(), line = try input.varint(), order = try input.varint()
        let field = try input.optionalString()
        let code = try input.string(), error = try input.string()
        let isFileLevel = try input.bool()
        let value = try input.optionalString()
        return ValidationIssue(row: row, line: line, field: field, code: code, error: error, isFileLevel: isFileLevel,
                               value: value, order: order)
    }
}

extension IssueLog {
    /// Its counts and its listed errors (a shard's chunk logs list every error).
    func encode(into out: inout ByteWriter) {
        out.varint(maxErrors)
        out.varint(listed.count)
        for issue in listed { issue.encode(into: &out) }
        let counts = fixedCodeCounts
        out.varint(counts.count)
        for count in counts { out.varint(count) }
        out.varint(invalidCodeCounts.count)
        for (code, count) in invalidCodeCounts.sorted(by: { $0.key < $1.key }) {
            out.string(code)
            out.varint(count)
        }
        out.varint(totalErrors)
        out.varint(fileLevelErrors)
        out.varint(invalidRows)
    }

    static func decode(from input: inout ByteReader) throws(PartialFile.Problem) -> IssueLog {
        var log = IssueLog(maxErrors: try input.varint())
        let listedCount = try input.count()
        var listed: [ValidationIssue] = []
        listed.reserveCapacity(listedCount)
        for _ in 0..<listedCount { listed.append(try ValidationIssue.decode(from: &input)) }
        let fixedCount = try input.count()
        guard fixedCount == IssueKind.fixedCodeCount else { throw .damaged }
        var fixed: [Int] = []
        for _ in 0..<fixedCount { fixed.append(try input.varint()) }
        var invalid: [String: Int] = [:]
        for _ in 0..<(try input.count()) {
            let code = try input.string()
            invalid[code] = try input.varint()
        }
        log.restore(listed: listed, fixedCounts: fixed, invalidCounts: invalid, totalErrors: try input.varint(),
                    fileLevelErrors: try input.varint(), invalidRows: try input.varint())
        return log
    }
}

extension ChunkResult {
    /// What the merge needs of a chunk: its rows and lines, where each row starts (as runs of rows
    /// on consecutive lines), its errors, ids, unknown columns and line endings. Row spans stay
    /// behind (they point into a window long gone).
    /// `windowOffset`: where the window its spans point into lies in the file (each row's bytes
    /// are recorded as file offsets, for a merge that shows rows).
    func encode(into out: inout ByteWriter, windowOffset: Int) {
        out.varint(rows)
        out.varint(lines)
        out.varint(lineEndings.lf)
        out.varint(lineEndings.crlf)
        // Row i starts on line rowLines[i]; most rows start on the line after the previous one's
        // start, so only the rows where that does not hold are written (row, line).
        var jumps: [(Int, Int)] = []
        var expected = 0
        for (row, line) in rowLines.enumerated() {
            if Int(line) != expected { jumps.append((row, Int(line))) }
            expected = Int(line) + 1
        }
        out.varint(jumps.count)
        var lastRow = 0
        for (row, line) in jumps {
            out.varint(row - lastRow)
            out.varint(line)
            lastRow = row
        }
        // Each row's bytes in the input: the gap after the previous row's end, then its length.
        // (A row longer than the window has no span: its offsets come with its `advance` block.)
        out.bool(spans.count == rows)
        if spans.count == rows {
            var previousEnd = 0
            for span in spans {
                out.varint(windowOffset + span.start - previousEnd)
                out.varint(span.next - span.start)
                previousEnd = windowOffset + span.next
            }
        }
        log.encode(into: &out)
        out.varint(ids.count)
        for index in 0..<ids.count {
            let entry = ids.entries[index]
            out.uint64(entry.hash)
            out.varint(Int(entry.row))
            out.varint(Int(entry.line))
            out.varint(Int(entry.order))
            out.bool(entry.rowHasErrors)
            out.varint(Int(entry.set))
            ids.withID(index) { out.raw($0) }
        }
        out.varint(unknownColumns.names.count)
        for (index, name) in unknownColumns.names.enumerated() {
            unknownColumns.nameBytes(index) { out.raw($0) }
            out.varint(name.row)
        }
    }

    /// `tracksRows`: give every row its span, for observers: its bytes' place in the input when
    /// `inputSize` is known (the merge maps the file), else an empty one.
    static func decode(from input: inout ByteReader, tracksRows: Bool, inputSize: Int?)
        throws(PartialFile.Problem) -> ChunkResult {
        var result = ChunkResult(maxErrors: 0, tracksRows: tracksRows)
        let rows = try input.count(), lines = try input.varint()
        result.lineEndings = LineEndings(lf: try input.varint(), crlf: try input.varint())
        guard lines >= 0 else { throw .damaged }
        var jumps: [(Int, Int)] = []
        var row = 0
        for _ in 0..<(try input.count()) {
            row = try ByteReader.sum(row, try input.varint())
            let line = try input.varint()
            guard row >= 0, row < rows, line >= 0 else { throw .damaged }
            jumps.append((row, line))
        }
        var spans: [RowSpan] = []
        if try input.bool() {
            var previousEnd = 0
            for _ in 0..<rows {
                let start = try ByteReader.sum(previousEnd, try input.count(unit: 0))
                previousEnd = try ByteReader.sum(start, try input.count(unit: 0))
                guard previousEnd <= inputSize ?? Int.max else { throw .damaged }
                spans.append(inputSize == nil ? RowSpan(start: 0, next: 0) : RowSpan(start: start, next: previousEnd))
            }
        }
        var jump = 0
        var line = 0
        for index in 0..<rows {
            if jump < jumps.count, jumps[jump].0 == index {
                line = jumps[jump].1
                jump += 1
            }
            if tracksRows, index < spans.count {
                _ = result.beginRow(line: line, start: spans[index].start, next: spans[index].next)
            } else {
                // No span: a row longer than the window, whose bytes follow on their own.
                result.rowLines.append(Int32(truncatingIfNeeded: line))
                result.rows += 1
            }
            line += 1
        }
        result.lines = lines
        result.log = try IssueLog.decode(from: &input)
        for _ in 0..<(try input.count()) {
            let hash = try input.uint64()
            let row = try input.varint(), line = try input.varint(), order = try input.varint()
            let rowHasErrors = try input.bool()
            let set = try input.varint()
            let id = try input.raw()
            guard row >= 0, row < rows, set >= 0, set < 256 else { throw .damaged }
            result.ids.append(id, hash: hash, row: row, line: line, order: order, rowHasErrors: rowHasErrors, set: set)
        }
        for _ in 0..<(try input.count()) {
            let name = try input.raw()
            result.unknownColumns.note(name, row: try input.varint())
        }
        return result
    }
}
