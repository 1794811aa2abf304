import CLibCSV

/// One CSV record as the reader found it, with its position. Field bytes are valid only while
/// the visitor runs.
struct CSVRecord {
    enum Status: Equatable {
        case parsed
        /// Longer than the record cap; not parsed.
        case tooLarge
        case malformedQuotes
        case unterminatedQuote
    }

    let status: Status
    /// 1-based physical line where the record starts.
    let line: Int
    /// Byte range of the record in the input, terminator excluded.
    let start: Int
    let end: Int
    fileprivate let reader: OpaquePointer?

    var fieldCount: Int { status == .parsed ? pfcsv_field_count(reader) : 0 }

    /// Unquoted, unescaped bytes of field `index`.
    func field(_ index: Int) -> UnsafeRawBufferPointer {
        let span = pfcsv_fields(reader)![index]
        guard span.length > 0, let arena = pfcsv_arena(reader) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: arena + span.offset, count: span.length)
    }
}

/// Reads CSV records from a byte range with libcsv (strict, no trimming, RFC 4180 quoting).
///
/// The reader splits physical lines itself, so it knows every record's line and byte range, and
/// feeds libcsv one line at a time: a record that grows past the cap is never handed to libcsv (it
/// is skipped by quote parity instead), so libcsv never buffers an unbounded field. After a quote
/// error, reading resumes at the line after the one where libcsv found it. Blank lines are
/// skipped. LF and CRLF end records; a lone CR is data.
final class CSVReader {
    let recordCap: Int
    private let parser: OpaquePointer
    /// Terminators seen outside quotes.
    private(set) var lineEndings = LineEndings()

    init(delimiter: UInt8, recordCap: Int) throws(PreflightError) {
        guard let parser = pfcsv_create(delimiter) else { throw .outOfMemory }
        self.parser = parser
        self.recordCap = recordCap
    }

    deinit { pfcsv_destroy(parser) }

    /// Reads the records that start in `start..<end`, the first byte being on line `firstLine`.
    /// `visit` returns false to stop.
    func read(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, firstLine: Int,
              _ visit: (CSVRecord) throws(PreflightError) -> Bool) throws(PreflightError) {
        let base = bytes.baseAddress
        var position = start
        var line = firstLine
        // The record being read.
        var inRecord = false
        var recordStart = 0
        var recordLine = 0
        var recordLength = 0
        var skipping = false          // too large: reading on by quote parity only
        var skippingInQuotes = false

        func emit(_ status: CSVRecord.Status, until recordEnd: Int) throws(PreflightError) -> Bool {
            inRecord = false
            return try visit(CSVRecord(status: status, line: recordLine, start: recordStart, end: recordEnd,
                                       reader: parser))
        }

        func check(_ status: Int32) throws(PreflightError) {
            if status == Int32(PFCSV_NO_MEMORY) { throw .outOfMemory }
            if status == Int32(PFCSV_BAD_ARGUMENT) { throw .parserFailure("libcsv shim rejected its input") }
        }

        while position < end {
            let lf = Bytes.nextLF(bytes, from: position, to: end)
            let lineEnd = lf ?? end
            var contentEnd = lineEnd
            if lf != nil, contentEnd > position, bytes[contentEnd - 1] == Bytes.cr { contentEnd -= 1 }
            let next = lf.map { $0 + 1 } ?? end
            let isCRLF = contentEnd != lineEnd

            if !inRecord {
                if contentEnd == position {  // a blank line between records
                    if lf != nil { if isCRLF { lineEndings.crlf += 1 } else { lineEndings.lf += 1 } }
                    line += 1
                    position = next
                    continue
                }
                inRecord = true
                recordStart = position
                recordLine = line
                recordLength = 0
                skipping = false
            }

            let contentLength = contentEnd - position
            if !skipping, recordLength + contentLength > recordCap {
                skipping = true
                skippingInQuotes = pfcsv_in_quoted_field(parser) != 0
                pfcsv_reset(parser)
            }
            if skipping {
                if Bytes.countQuotes(bytes, from: position, to: contentEnd) % 2 == 1 { skippingInQuotes.toggle() }
            } else {
                let status = pfcsv_feed(parser, base! + position, contentLength)
                try check(status)
                if status == Int32(PFCSV_MALFORMED) {
                    pfcsv_reset(parser)
                    line += 1
                    position = next
                    if !(try emit(.malformedQuotes, until: contentEnd)) { return }
                    continue
                }
            }
            recordLength += contentLength

            guard lf != nil else {  // the input ends inside this line
                position = end
                break
            }
            let inQuotes = skipping ? skippingInQuotes : pfcsv_in_quoted_field(parser) != 0
            if inQuotes {
                // A quoted line break: part of the value, and of the record's length.
                let terminatorLength = next - contentEnd
                if !skipping, recordLength + terminatorLength > recordCap {
                    skipping = true
                    skippingInQuotes = true
                    pfcsv_reset(parser)
                }
                if !skipping {
                    let status = pfcsv_feed(parser, base! + contentEnd, terminatorLength)
                    try check(status)
                }
                recordLength += terminatorLength
                line += 1
                position = next
                continue
            }
            if isCRLF { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
            line += 1
            position = next
            if skipping {
                if !(try emit(.tooLarge, until: contentEnd)) { return }
            } else {
                var terminator = Bytes.lf
                let status = pfcsv_feed(parser, &terminator, 1)
                try check(status)
                let outcome: CSVRecord.Status = status == Int32(PFCSV_RECORD) ? .parsed : .malformedQuotes
                if outcome != .parsed { pfcsv_reset(parser) }
                if !(try emit(outcome, until: contentEnd)) { return }
            }
        }

        guard inRecord else { return }
        let recordEnd = recordStart + recordLength
        if skipping {
            _ = try emit(.tooLarge, until: recordEnd)
            return
        }
        let status = pfcsv_finish(parser)
        try check(status)
        switch status {
        case Int32(PFCSV_RECORD): _ = try emit(.parsed, until: recordEnd)
        case Int32(PFCSV_UNTERMINATED): pfcsv_reset(parser); _ = try emit(.unterminatedQuote, until: recordEnd)
        default: inRecord = false
        }
    }
}
