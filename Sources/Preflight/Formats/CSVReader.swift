#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CScan
import CLibCSV

/// Reads CSV records from a byte range: strict RFC 4180 quoting, no trimming, LF or CRLF.
///
/// The reader knows every record's line and byte range. With the prescan engine, records are
/// taken from the structural kernel's index (a record without quotes, or whose quotes need no
/// unescaping, is split from the delimiter positions); any other record is fed to libcsv a line
/// at a time, as every record is with the libcsv engine. A record that grows past the cap is never handed to
/// libcsv (it is skipped by quote parity), so libcsv never buffers an unbounded field. After a
/// quote error, reading resumes at the line after the one where libcsv found it. Blank lines are
/// skipped; a lone CR is data.
final class CSVReader {
    /// Where a call to `read` stopped.
    struct Outcome {
        /// Resume position: just after the last record read (and the blank lines after it).
        var end: Int
        /// Line breaks consumed up to `end`.
        var lines: Int
    }

    let recordCap: Int
    let delimiter: UInt8
    let engine: CSVEngine
    private let parser: OpaquePointer
    private var starts: UnsafeMutablePointer<UnsafeRawPointer?>
    private var lengths: UnsafeMutablePointer<Int>
    private var fieldCapacity = 64
    /// Terminators seen outside quotes.
    var lineEndings = LineEndings()
    /// The structural kernel's records ahead (the prescan engine).
    private var index: CSVStructuralIndex

    init(delimiter: UInt8, recordCap: Int, engine: CSVEngine = .prescan) throws(PreflightError) {
        guard let parser = pfcsv_create(delimiter) else { throw .outOfMemory }
        self.parser = parser
        self.delimiter = delimiter
        self.recordCap = recordCap
        self.engine = engine
        starts = .allocate(capacity: fieldCapacity)
        lengths = .allocate(capacity: fieldCapacity)
        index = CSVStructuralIndex(delimiter: delimiter)
    }

    deinit {
        index.deallocate()
        pfcsv_destroy(parser)
        starts.deallocate()
        lengths.deallocate()
    }

    /// Makes room for `count` fields, keeping the first `kept` already filled in.
    private func reserveFields(_ count: Int, keeping kept: Int = 0) {
        guard count > fieldCapacity else { return }
        while fieldCapacity < count { fieldCapacity *= 2 }
        let newStarts = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: fieldCapacity)
        let newLengths = UnsafeMutablePointer<Int>.allocate(capacity: fieldCapacity)
        newStarts.update(from: starts, count: kept)
        newLengths.update(from: lengths, count: kept)
        starts.deallocate()
        lengths.deallocate()
        starts = newStarts
        lengths = newLengths
    }

    /// Splits a quote-free line at the delimiter into the field buffers; returns the field count.
    @inline(__always)
    private func splitUnquoted(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var count = 0
        var fieldStart = start
        var index = start
        let delimiter = self.delimiter
        while true {
            if count == fieldCapacity { reserveFields(fieldCapacity * 2, keeping: count) }
            // Scan to the next delimiter or the end of the line.
            while index < end, base.load(fromByteOffset: index, as: UInt8.self) != delimiter { index += 1 }
            starts[count] = base + fieldStart
            lengths[count] = index - fieldStart
            count += 1
            if index >= end { return count }
            index += 1
            fieldStart = index
        }
    }

    /// Fills the field buffers from an indexed record's delimiter positions; returns the field count.
    @inline(__always)
    private func splitIndexed(_ record: CSVStructuralIndex.Record, of index: CSVStructuralIndex, _ base: UnsafeRawPointer,
                              contentEnd: Int) -> Int {
        let count = record.endEntry - record.firstEntry + 1
        reserveFields(count)
        var fieldStart = record.start
        var field = 0
        for entry in record.firstEntry..<record.endEntry {
            let delimiter = index.position(entry)
            starts[field] = base + fieldStart
            lengths[field] = delimiter - fieldStart
            fieldStart = delimiter + 1
            field += 1
        }
        starts[field] = base + fieldStart
        lengths[field] = contentEnd - fieldStart
        return count
    }

    /// Fills the field buffers from an indexed record that holds quotes, when every quote is
    /// plain RFC 4180 quoting with nothing to unescape: a field either has no quote, or starts and
    /// ends with one and has none inside. Then a field's value is the bytes between its quotes,
    /// exactly as libcsv would give it. Returns the field count and the line feeds inside quoted
    /// fields, or nil when anything else (an escaped `""`, a stray quote, text after a closing
    /// quote) leaves the record to libcsv.
    private func splitQuotedIndexed(_ record: CSVStructuralIndex.Record, of index: CSVStructuralIndex,
                                    _ bytes: UnsafeRawBufferPointer, contentEnd: Int) -> (fields: Int, lineFeeds: Int)? {
        let count = record.endEntry - record.firstEntry + 1
        reserveFields(count)
        let base = bytes.baseAddress!
        var fieldStart = record.start
        var lineFeeds = 0
        for field in 0..<count {
            let fieldEnd = field < count - 1 ? index.position(record.firstEntry + field) : contentEnd
            var valueStart = fieldStart
            var valueEnd = fieldEnd
            if fieldEnd > fieldStart, bytes[fieldStart] == Bytes.quote {
                guard fieldEnd - fieldStart >= 2, bytes[fieldEnd - 1] == Bytes.quote else { return nil }
                valueStart = fieldStart + 1
                valueEnd = fieldEnd - 1
                lineFeeds += Bytes.countLF(bytes, from: valueStart, to: valueEnd)
            }
            // No quote may remain: not inside a quoted value, not anywhere in an unquoted one.
            if Bytes.next(Bytes.quote, in: bytes, from: valueStart, to: valueEnd) != nil { return nil }
            starts[field] = base + valueStart
            lengths[field] = valueEnd - valueStart
            fieldStart = fieldEnd + 1
        }
        return (count, lineFeeds)
    }

    /// Copies libcsv's finished record into the field buffers; returns the field count.
    private func takeLibcsvRecord() -> Int {
        let count = pfcsv_field_count(parser)
        reserveFields(count)
        guard count > 0, let spans = pfcsv_fields(parser) else { return count }
        let arena = pfcsv_arena(parser)
        for index in 0..<count {
            let span = spans[index]
            starts[index] = arena.map { UnsafeRawPointer($0 + span.offset) }
            lengths[index] = span.length
        }
        return count
    }

    /// Reads the records that start in `start..<chunkEnd`; a record may run on to `dataEnd`. When
    /// `isFinal` is false and the data ends inside a record, that record is left for the next call
    /// (the outcome's `end` is where it starts). Lines are counted from `firstLine`.
    /// `visit` returns false to stop.
    func read(_ bytes: UnsafeRawBufferPointer, from start: Int, to chunkEnd: Int, dataEnd: Int, isFinal: Bool,
              firstLine: Int, _ visit: (CSVRecord) throws(PreflightError) -> Bool) throws(PreflightError) -> Outcome {
        guard let base = bytes.baseAddress, start < dataEnd else { return Outcome(end: start, lines: 0) }
        pfcsv_reset(parser)
        // Locals, not the class's stored properties, on the per-record path: no exclusivity
        // check per access. Written back when the call ends.
        var index = self.index
        index.reset()  // its records were found in bytes this call may not see again
        var lineEndings = self.lineEndings
        defer {
            self.index = index
            self.lineEndings = lineEndings
        }
        var position = start
        var line = firstLine
        var nextQuote = -1  // position of the next `"` at or after the current line, or dataEnd
        // The record being read.
        var inRecord = false
        var recordStart = 0
        var recordLine = 0
        var recordLength = 0
        var skipping = false          // too large: reading on by quote parity only
        var skippingInQuotes = false

        func emit(_ status: CSVRecord.Status, until recordEnd: Int, fields: Int, flags: UInt32? = nil)
            throws(PreflightError) -> Bool {
            inRecord = false
            var record = CSVRecord(status: status, line: recordLine, start: recordStart, end: recordEnd,
                                   next: position, fieldCount: fields, starts: starts, lengths: lengths)
            if let flags {
                record.mayHoldControl = flags & UInt32(PFSCAN_HAS_CONTROL) != 0
                record.mayHoldNonASCII = flags & UInt32(PFSCAN_HAS_NON_ASCII) != 0
            }
            return try visit(record)
        }

        func check(_ status: Int32) throws(PreflightError) {
            if status == Int32(PFCSV_NO_MEMORY) { throw .outOfMemory }
            if status == Int32(PFCSV_BAD_ARGUMENT) { throw .parserFailure("libcsv shim rejected its input") }
        }

        while position < dataEnd, inRecord || position < chunkEnd {
            // The common record, by the structural kernel: not blank, within the cap, with no quote
            // or only quotes that need no unescaping.
            if !inRecord, engine == .prescan, let indexed = index.record(at: position, in: base, end: dataEnd) {
                let lf = indexed.lineFeed
                let isCRLF = lf > position && base.load(fromByteOffset: lf - 1, as: UInt8.self) == Bytes.cr
                let contentEnd = isCRLF ? lf - 1 : lf
                if contentEnd > position, contentEnd - position <= recordCap,
                   let (fields, lineFeeds) = indexed.hasQuote
                    ? splitQuotedIndexed(indexed, of: index, bytes, contentEnd: contentEnd)
                    : (splitIndexed(indexed, of: index, base, contentEnd: contentEnd), 0) {
                    recordStart = position
                    recordLine = line
                    if isCRLF { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
                    line += 1 + lineFeeds
                    position = lf + 1
                    if !(try emit(.parsed, until: contentEnd, fields: fields, flags: indexed.flags)) {
                        return Outcome(end: position, lines: line - firstLine)
                    }
                    continue
                }
                // Anything else (escaped or stray quotes, a blank line, too long) is read line by line below.
            }
            let lf = Bytes.nextLF(bytes, from: position, to: dataEnd)
            if lf == nil, !isFinal {
                // The data ends inside this line: leave the line (and its record) for the next call.
                if inRecord {
                    position = recordStart
                    line = recordLine
                    pfcsv_reset(parser)
                }
                return Outcome(end: position, lines: line - firstLine)
            }
            let lineEnd = lf ?? dataEnd
            var contentEnd = lineEnd
            if lf != nil, contentEnd > position, base.load(fromByteOffset: contentEnd - 1, as: UInt8.self) == Bytes.cr {
                contentEnd -= 1
            }
            let next = lf.map { $0 + 1 } ?? dataEnd
            let isCRLF = contentEnd != lineEnd
            let contentLength = contentEnd - position

            if !inRecord {
                if contentLength == 0 {  // a blank line between records
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
                if engine == .prescan, contentLength <= recordCap {
                    if nextQuote < position {
                        let found = memchr(base + position, Int32(Bytes.quote), dataEnd - position)
                        nextQuote = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? dataEnd
                    }
                    if nextQuote >= contentEnd {
                        // No quote: the record is this line, split at the delimiter.
                        let fields = splitUnquoted(base, from: position, to: contentEnd)
                        if lf != nil { if isCRLF { lineEndings.crlf += 1 } else { lineEndings.lf += 1 } }
                        line += 1
                        position = next
                        if !(try emit(.parsed, until: contentEnd, fields: fields)) {
                            return Outcome(end: position, lines: line - firstLine)
                        }
                        continue
                    }
                }
            }

            if !skipping, recordLength + contentLength > recordCap {
                skipping = true
                skippingInQuotes = pfcsv_in_quoted_field(parser) != 0
                pfcsv_reset(parser)
            }
            if skipping {
                if Bytes.countQuotes(bytes, from: position, to: contentEnd) % 2 == 1 { skippingInQuotes.toggle() }
            } else {
                let status = pfcsv_feed(parser, base + position, contentLength)
                try check(status)
                if status == Int32(PFCSV_MALFORMED) {
                    pfcsv_reset(parser)
                    line += 1
                    position = next
                    if !(try emit(.malformedQuotes, until: contentEnd, fields: 0)) {
                        return Outcome(end: position, lines: line - firstLine)
                    }
                    continue
                }
            }
            recordLength += contentLength

            guard lf != nil else {  // the input ends inside this line
                position = dataEnd
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
                    try check(pfcsv_feed(parser, base + contentEnd, terminatorLength))
                }
                recordLength += terminatorLength
                line += 1
                position = next
                continue
            }
            if isCRLF { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
            line += 1
            position = next
            let keepGoing: Bool
            if skipping {
                keepGoing = try emit(.tooLarge, until: contentEnd, fields: 0)
            } else {
                var terminator = Bytes.lf
                let status = pfcsv_feed(parser, &terminator, 1)
                try check(status)
                if status == Int32(PFCSV_RECORD) {
                    keepGoing = try emit(.parsed, until: contentEnd, fields: takeLibcsvRecord())
                } else {
                    pfcsv_reset(parser)
                    keepGoing = try emit(.malformedQuotes, until: contentEnd, fields: 0)
                }
            }
            if !keepGoing { return Outcome(end: position, lines: line - firstLine) }
        }

        if inRecord, !isFinal {
            // The data ended inside a record (on a line break in a quoted field): leave it for the next call.
            pfcsv_reset(parser)
            return Outcome(end: recordStart, lines: recordLine - firstLine)
        }
        if inRecord {  // the input ends inside this record
            let recordEnd = recordStart + recordLength
            if skipping {
                _ = try emit(.tooLarge, until: recordEnd, fields: 0)
            } else {
                let status = pfcsv_finish(parser)
                try check(status)
                switch status {
                case Int32(PFCSV_RECORD): _ = try emit(.parsed, until: recordEnd, fields: takeLibcsvRecord())
                case Int32(PFCSV_UNTERMINATED):
                    pfcsv_reset(parser)
                    _ = try emit(.unterminatedQuote, until: recordEnd, fields: 0)
                default: inRecord = false
                }
            }
        }
        return Outcome(end: position, lines: line - firstLine)
    }
}
