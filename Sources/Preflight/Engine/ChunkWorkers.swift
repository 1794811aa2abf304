import CSimdJSON

/// Reads and checks CSV chunks; one per thread, reused from window to window.
final class CSVChunkWorker {
    private let reader: CSVReader
    private var checker: RowChecker
    private let expectedFields: Int
    private var storage: ChunkStorage
    private let control: RunControl

    func recycle(_ result: ChunkResult) { storage.recycle(result) }

    init(options: ValidationOptions, header: [String], control: RunControl) throws(PreflightError) {
        self.control = control
        reader = try CSVReader(delimiter: options.delimiter, recordCap: options.recordCap, engine: options.csvEngine)
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
        checker.useCSVHeader(header)
        expectedFields = header.count
        storage = ChunkStorage(options: options)
    }

    /// Reads the records that start in `start..<chunkEnd` (they may run on to `dataEnd`).
    func process(_ bytes: UnsafeRawBufferPointer, from start: Int, to chunkEnd: Int, dataEnd: Int, isFinal: Bool)
        throws(PreflightError) -> ChunkResult {
        var result = storage.take()
        reader.lineEndings = LineEndings()
        // Whole-chunk checks first: when they pass, records inside the chunk skip their own.
        let checkedEnd = min(chunkEnd, dataEnd)
        let chunkIsUTF8 = Bytes.isValidUTF8(bytes, from: start, to: checkedEnd)
        var mark = start  // progress published up to here
        let outcome = try reader.read(bytes, from: start, to: chunkEnd, dataEnd: dataEnd, isFinal: isFinal, firstLine: 0) {
            record in
            let row = result.beginRow(line: record.line, start: record.start, next: record.next)
            switch record.status {
            case .tooLarge: checker.rejectRow(.recordTooLarge, row: row, line: record.line, into: &result.log)
            case .malformedQuotes: checker.rejectRow(.malformedQuotes, row: row, line: record.line, into: &result.log)
            case .unterminatedQuote: checker.rejectRow(.unterminatedQuote, row: row, line: record.line, into: &result.log)
            case .parsed:
                let inside = record.end <= checkedEnd
                if !(inside && chunkIsUTF8), record.mayHoldNonASCII,
                   !Bytes.isValidUTF8(bytes, from: record.start, to: record.end) {
                    checker.rejectRow(.invalidUTF8, row: row, line: record.line, into: &result.log)
                } else if record.fieldCount != expectedFields {
                    checker.rejectRow(.fieldCountMismatch(expected: expectedFields, found: record.fieldCount),
                                      row: row, line: record.line, into: &result.log)
                } else {
                    // Most records hold no byte below 0x20 at all: then no field needs a closer look.
                    let checkControl = record.mayHoldControl
                        && Bytes.hasByteBelowSpace(bytes, from: record.start, to: record.end)
                    checker.checkCSV(record, row: row, line: record.line, checkControl: checkControl,
                                     into: &result.log, ids: &result.ids)
                }
            }
            return control.keepGoing(rows: result.rows, position: record.next, mark: &mark)
        }
        control.passed(outcome.end - mark)
        result.end = outcome.end
        result.lines = outcome.lines
        result.lineEndings = reader.lineEndings
        return result
    }
}

/// Reads and checks NDJSON chunks; one per thread, reused from window to window.
final class NDJSONChunkWorker {
    private let reader: NDJSONReader
    private var checker: RowChecker
    private var storage: ChunkStorage
    private let control: RunControl

    func recycle(_ result: ChunkResult) { storage.recycle(result) }

    init(options: ValidationOptions, control: RunControl) throws(PreflightError) {
        self.control = control
        reader = try NDJSONReader(recordCap: options.recordCap)
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
        storage = ChunkStorage(options: options)
    }

    func process(_ bytes: UnsafeRawBufferPointer, readable: Int, from start: Int, to chunkEnd: Int, dataEnd: Int,
                 isFinal: Bool) throws(PreflightError) -> ChunkResult {
        var result = storage.take()
        reader.lineEndings = LineEndings()
        // One UTF-8 check for the whole chunk; lines check themselves only when it fails.
        let checkedEnd = min(chunkEnd, dataEnd)
        let validUntil = Bytes.isValidUTF8(bytes, from: start, to: checkedEnd) ? checkedEnd : 0
        var mark = start  // progress published up to here
        result.end = try reader.read(bytes, readable: readable, from: start, to: chunkEnd, dataEnd: dataEnd,
                                     isFinal: isFinal, firstLine: 0, validUTF8Until: validUntil) { line in
            let row = result.beginRow(line: line.line, start: line.start, next: line.next)
            checker.check(line, row: row, into: &result)
            return control.keepGoing(rows: result.rows, position: line.next, mark: &mark)
        }
        control.passed(result.end - mark)
        result.lines = result.rows
        result.lineEndings = reader.lineEndings
        return result
    }
}

extension RowChecker {
    /// Checks one NDJSON line or JSON element.
    mutating func check(_ item: JSONRow, row: Int, into result: inout ChunkResult) {
        switch item.content {
        case .object(let object):
            checkObject(object, row: row, line: item.line, unknownColumns: &result.unknownColumns, into: &result.log,
                        ids: &result.ids)
        case .tooLarge: rejectRow(.recordTooLarge, row: row, line: item.line, into: &result.log)
        case .emptyLine: rejectRow(.emptyLine, row: row, line: item.line, into: &result.log)
        case .invalidUTF8: rejectRow(.invalidUTF8, row: row, line: item.line, into: &result.log)
        case .controlCharacter: rejectRow(.controlCharacter, row: row, line: item.line, into: &result.log)
        case .syntaxError(let detail): rejectRow(.syntaxError(detail: detail), row: row, line: item.line, into: &result.log)
        case .notAnObject: rejectRow(.notAnObject, row: row, line: item.line, into: &result.log)
        }
    }
}

/// Parses and checks the elements of a streamed JSON array; one per thread.
final class JSONElementWorker {
    /// Why the document as a whole is not acceptable, found in an element.
    struct Failure {
        var kind: JSONReader.Failure
        /// Byte offset in the window.
        var offset: Int
        /// Line of the element (from the window's start) and the element's start.
        var elementLine: Int
        var elementStart: Int
    }

    private let parser: OpaquePointer
    private var checker: RowChecker
    private let recordCap: Int
    private var storage: ChunkStorage
    private let control: RunControl

    func recycle(_ result: ChunkResult) { storage.recycle(result) }

    init(options: ValidationOptions, control: RunControl) throws(PreflightError) {
        self.control = control
        guard let parser = csj_parser_create() else { throw .outOfMemory }
        self.parser = parser
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
        storage = ChunkStorage(options: options)
        recordCap = options.recordCap
    }

    deinit { csj_parser_destroy(parser) }

    /// Checks `elements`; rows and lines are numbered from the window's start (`lines` stays 0).
    func process(_ bytes: UnsafeRawBufferPointer, readable: Int, elements: ArraySlice<JSONArrayScanner.Element>)
        throws(PreflightError) -> (ChunkResult, Failure?) {
        var result = storage.take()
        var mark = elements.first?.start ?? 0  // progress published up to here
        defer { control.passed((elements.last?.end ?? mark) - mark) }
        for element in elements {
            guard control.keepGoing(rows: result.rows + 1, position: element.start, mark: &mark) else { break }
            let row = result.beginRow(line: element.line, start: element.start, next: element.end)
            var parsed = csj_result()
            let length = element.end - element.start
            let status = csj_parse_object(parser, bytes.baseAddress! + element.start, length, readable - element.start,
                                          &parsed)
            let kind: JSONReader.Failure?
            switch status {
            case Int32(CSJ_OK), Int32(CSJ_NOT_AN_OBJECT): kind = nil
            case Int32(CSJ_SYNTAX): kind = .syntax(message: JSONStatus.message(parsed) ?? "syntax error", offset: nil)
            case Int32(CSJ_CONTROL_CHARACTER): kind = .controlCharacter
            case Int32(CSJ_INVALID_UTF8): kind = .invalidUTF8
            case Int32(CSJ_OUT_OF_MEMORY): throw .outOfMemory
            default: throw .parserFailure("simdjson shim status \(status)")
            }
            if let kind {
                let offset = parsed.error_offset == CSJ_NO_OFFSET ? element.start : element.start + parsed.error_offset
                return (result, Failure(kind: kind, offset: offset, elementLine: element.line, elementStart: element.start))
            }
            let content: JSONRow.Content
            if length > recordCap {
                content = .tooLarge
            } else if status == Int32(CSJ_NOT_AN_OBJECT) {
                content = .notAnObject
            } else {
                content = .object(JSONObject(parsed))
            }
            checker.check(JSONRow(line: element.line, start: element.start, end: element.end, next: element.end,
                                  content: content),
                          row: row, into: &result)
        }
        return (result, nil)
    }
}
