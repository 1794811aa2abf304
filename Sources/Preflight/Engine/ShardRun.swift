/// A shard's run (`--byte-range START-END`): the rows whose first byte lies in the range are read
/// and checked as in a whole run, and their chunk results go to a partial result's file instead of
/// the merge (`PartialWriter`); `PartialMerge` numbers them and checks ids across shards.
final class ShardRun {
    /// The range in the file's offsets (as the partial records every offset).
    let range: Range<Int>
    /// Where the first row starts when the caller knows (`--first-row-at`, or the merge repairing
    /// a shard whose start was misjudged).
    let firstRowAt: Int?
    let writer: PartialWriter
    /// For bytes that come on standard input from offset `base` of the file (`--byte-range-base`;
    /// CSV: after the header record, which comes first): file offset = input offset + `shift`,
    /// known once the header is read. 0 when the input is the file.
    let base: Int?
    private(set) var shift = 0

    /// The range in the input's offsets.
    var inputRange: Range<Int> { (range.lowerBound - shift)..<(range.upperBound - shift) }
    /// What the trailer will say (see `PartialFile.Trailer`).
    private(set) var firstRow = 0
    private(set) var otherFirstRow: Int?
    private(set) var rowsEnd = 0
    /// Where the CSV header lies in the input and how many fields it has, and where the row
    /// longer than the window being skipped starts.
    var header: Range<Int>?
    var headerFields = 0
    var tooLargeRowStart = 0

    init(range: Range<Int>, firstRowAt: Int?, writer: PartialWriter, base: Int? = nil) {
        self.range = range
        self.firstRowAt = firstRowAt
        self.writer = writer
        self.base = base
    }

    /// The header is read (or could not be): its errors go first, then the window moves to the
    /// shard's first row. Returns its position in the window, or nil when the shard has no row.
    func moveToFirstRow(from position: Int?, in run: RunContext) throws(PreflightError) -> Int? {
        // (Known once the first window is read.) Offsets into gzip are not offsets into the rows.
        guard !run.source.isCompressed else {
            throw .notAPartial(path: run.source.name, reason: "gzip data cannot be cut by byte ranges: validate it "
                               + "whole, or decompress it first")
        }
        try writer.start(run.outcome.merger.log)
        guard let position else {
            // No header, so no rows anywhere: the ranges meet as they are.
            firstRow = range.lowerBound
            rowsEnd = range.upperBound
            return nil
        }
        var contentStart = run.windowOffset + position
        if let base, base > 0 {
            // The input holds the header (CSV), then the file's bytes from `base`: the rows' first
            // byte that can be judged is the one after `base` (a row starts after a line break).
            let headerEnd = run.options.inputFormat == .csv ? contentStart : 0
            guard base >= headerEnd, base < range.lowerBound || base == headerEnd || (firstRowAt ?? -1) >= base else {
                throw .notAPartial(path: run.source.name, reason: "--byte-range-base \(base) must lie at or after the "
                                   + "header's end (\(headerEnd)) and before the range's start \(range.lowerBound) "
                                   + "(the byte before it tells whether a row starts there)")
            }
            shift = base - headerEnd
            contentStart = headerEnd + shift
        }
        if let firstRowAt {
            // Rows before the range (or before standard input's first byte) are not this shard's.
            // The shard that holds the first row has it where the content starts, always (the
            // merge starts its check of every shard's first row from it).
            if range.lowerBound <= contentStart, firstRowAt != contentStart {
                throw .notAPartial(path: run.source.name, reason: "--first-row-at \(firstRowAt): the range "
                                   + "\(range.lowerBound)-\(range.upperBound) holds the file's first row, at byte \(contentStart)")
            }
            guard firstRowAt >= range.lowerBound || firstRowAt <= contentStart, firstRowAt >= (base ?? 0) else {
                throw .notAPartial(path: run.source.name, reason: "--first-row-at \(firstRowAt) lies before the range "
                                   + "\(range.lowerBound)-\(range.upperBound)" + (base.map { " or before --byte-range-base \($0)" } ?? ""))
            }
            firstRow = max(firstRowAt, contentStart)
        } else if range.lowerBound <= contentStart {
            firstRow = contentStart
        } else {
            firstRow = try firstLineStart(atOrAfter: range.lowerBound - shift, in: run,
                                          quoted: run.options.inputFormat == .csv) + shift
            if let other = otherFirstRow, other != firstRow, try looksMoreLikeRows(from: other, than: firstRow, in: run) {
                (firstRow, otherFirstRow) = (other, firstRow)
            }
        }
        guard firstRow < range.upperBound, firstRow - shift < run.source.inputSize ?? Int.max else {
            rowsEnd = firstRow
            return nil
        }
        let rowsStart = try run.skip(to: firstRow - shift)
        // Standard input that ends before the first row: no row.
        if run.count == 0, run.isFinal {
            rowsEnd = firstRow
            return nil
        }
        return rowsStart
    }

    /// Where the first row at or after `offset` starts, reading `offset` as outside quotes: right
    /// there when a line break precedes it, else after the first line break that follows (CSV:
    /// outside the quoted fields that open after `offset`). With `quoted` (CSV), also notes where
    /// it would start were `offset` inside a quoted field (within the first window only). At the
    /// input's end when no line break follows.
    private func firstLineStart(atOrAfter offset: Int, in run: RunContext, quoted: Bool) throws(PreflightError) -> Int {
        var position = try run.skip(to: offset - 1)
        let before = run.count > position ? run.window[position] : Bytes.lf
        if before == Bytes.lf, !quoted { return offset }
        position += 1
        let delimiter = run.options.fieldDelimiter
        if quoted {
            // Were `offset` inside a quoted field: where the record would end (in this window only);
            // nil when the bytes cannot be read so (a quote inside quotes that neither doubles nor
            // closes the field).
            var inside = RecordEndScanner(delimiter: delimiter, insideQuotes: true, atFieldStart: false)
            if case .end(let at) = inside.scan(run.window, from: position, to: run.count, isFinal: run.isFinal) {
                otherFirstRow = run.windowOffset + at + shift
            }
            if before == Bytes.lf { return offset }
        }
        var outside = RecordEndScanner(delimiter: delimiter, insideQuotes: false,
                                       atFieldStart: before == delimiter)
        while true {
            if quoted {
                switch outside.scan(run.window, from: position, to: run.count, isFinal: run.isFinal) {
                case .end(let at):
                    return run.windowOffset + at
                case .more(let from):
                    if run.isFinal { return run.windowOffset + run.count }
                    position = try run.nextWindow(keepingFrom: from)
                    continue
                case .implausible:
                    return run.windowOffset + run.count  // (only a scan begun inside quotes can be)
                }
            } else if let lf = Bytes.nextLF(run.window, from: position, to: run.count) {
                return run.windowOffset + lf + 1
            }
            if run.isFinal { return run.windowOffset + run.count }
            position = try run.nextWindow(keepingFrom: run.count)
        }
    }

    /// Follows CSV bytes from inside a record to the record's end, as the reader reads them: a
    /// quote at a field's start opens a quoted field, inside which `""` is a quote and a quote
    /// before a delimiter or line break closes it; a stray quote elsewhere outside quotes makes the
    /// reader skip to the line's end. Read as starting inside quotes, a quote that neither doubles
    /// nor closes means the bytes were not inside quotes after all.
    struct RecordEndScanner {
        enum Outcome {
            /// The next record starts here.
            case end(Int)
            /// The bytes ran out; go on with more, from this position.
            case more(Int)
            /// Read as starting inside quotes, these bytes cannot be.
            case implausible
        }

        let delimiter: UInt8
        var inQuotes: Bool
        var atFieldStart: Bool
        /// A stray quote was met: quotes mean nothing until the line ends.
        private var stray = false
        /// Whether the scan began inside quotes (and must stay plausible).
        private let fromInside: Bool

        init(delimiter: UInt8, insideQuotes: Bool, atFieldStart: Bool) {
            self.delimiter = delimiter
            inQuotes = insideQuotes
            fromInside = insideQuotes
            self.atFieldStart = atFieldStart
        }

        mutating func scan(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int, isFinal: Bool) -> Outcome {
            var index = from
            while index < to {
                let byte = bytes[index]
                if inQuotes {
                    if byte == Bytes.quote {
                        guard index + 1 < to || isFinal else { return .more(index) }
                        let next = index + 1 < to ? bytes[index + 1] : Bytes.lf
                        if next == Bytes.quote {
                            index += 2
                            continue
                        }
                        guard next == delimiter || next == Bytes.lf || next == Bytes.cr || !fromInside else {
                            return .implausible
                        }
                        inQuotes = false
                    }
                } else if byte == Bytes.lf {
                    return .end(index + 1)
                } else if byte == Bytes.quote, !stray {
                    if atFieldStart { inQuotes = true } else { stray = true }
                }
                atFieldStart = !inQuotes && byte == delimiter
                index += 1
            }
            return .more(index)
        }
    }

    /// Which of two places a CSV shard's rows start at, judged by the rows that follow each: the
    /// one whose next records (up to 16, in the window) more often parse with the header's field
    /// count. A guess only — the merge checks every shard's start against the rows before it — but
    /// a range begun inside a quoted field with line breaks then rarely needs reading again.
    private func looksMoreLikeRows(from candidate: Int, than current: Int, in run: RunContext) throws(PreflightError) -> Bool {
        guard headerFields > 0 else { return false }
        let reader = try CSVReader(delimiter: run.options.fieldDelimiter, recordCap: run.options.lineCap,
                                   engine: run.options.csvEngine)
        // Both must lie in the window (the other was found in the first one; the scan for this
        // one may have moved on): otherwise the one found stands.
        func inWindow(_ start: Int) -> Bool { (0..<run.count).contains(start - shift - run.windowOffset) }
        guard inWindow(candidate), inWindow(current) else { return false }
        func score(_ start: Int) throws(PreflightError) -> Int {
            let position = start - shift - run.windowOffset
            var good = 0, seen = 0
            let end = min(run.count, position + (256 << 10))
            _ = try reader.read(run.window, from: position, to: end, dataEnd: end, isFinal: false, firstLine: 0) { record in
                seen += 1
                if record.status == .parsed, record.fieldCount == headerFields { good += 1 }
                return seen < 16
            }
            return good * 2 - seen
        }
        return try score(candidate) > score(current)
    }

    /// Whether reading has reached the first row that starts at or after the range's end
    /// (`position` is a row start in the window); if so it is noted as where the rows end.
    func reachedEnd(_ position: Int, in run: RunContext) -> Bool {
        guard run.windowOffset + position + shift >= range.upperBound else { return false }
        rowsEnd = run.windowOffset + position + shift
        return true
    }

    /// The rows ended at `position` of the window (the input's end, or the row after the range).
    func rowsEnded(at position: Int, in run: RunContext) {
        rowsEnd = run.windowOffset + position + shift
    }

    /// The trailer, once the rows are read.
    /// For standard input: when it ended (the shard read to its end), it must have reached the
    /// range's end, and the file's end when its size is known (`size`) — else the range read was cut
    /// short, and the shard's rows would be missing or end early without a word.
    func checkInputEnd(size: Int?, in run: RunContext) throws(PreflightError) {
        guard base != nil, run.isFinal else { return }
        let end = run.windowOffset + run.count + shift
        if end < range.upperBound || (size.map { end != $0 } ?? false) {
            let expected = size.map { "the file's end (\($0))" } ?? "the range's end (\(range.upperBound))"
            throw .cannotRead(path: run.source.name, reason: "standard input ended at byte \(end) of the file, before "
                              + expected + ": the range read was cut short")
        }
    }

    /// `size`: the file's size (nil for standard input: the merge takes the last range's end).
    func trailer(name: String, path: String, size: Int?, modified: Int?, in run: RunContext) -> PartialFile.Trailer {
        let merger = run.outcome.merger
        return PartialFile.Trailer(
            formatVersion: PartialFile.formatVersion, preflightVersion: PreflightVersion.current, name: name, path: path,
            size: size, modified: modified, options: PartialFile.Options(run.options), base: base,
            rangeStart: range.lowerBound, rangeEnd: range.upperBound, firstRow: firstRow,
            otherFirstRow: otherFirstRow, rowsEnd: max(rowsEnd, firstRow), sawContent: run.sawContentSoFar,
            lineAfterHeader: merger.nextLine, headerLineEndings: [merger.lineEndings.lf, merger.lineEndings.crlf],
            notices: run.outcome.notices, header: header.map { [$0.lowerBound, $0.upperBound] }, rows: writer.rows)
    }
}
