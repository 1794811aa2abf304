#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The public entry point: input bytes → format reader → row rules → report.
public enum Validator {
    /// Validates the file at `path`.
    public static func validate(path: String, options: ValidationOptions) throws(PreflightError) -> ValidationReport {
        let input = try InputBytes.open(path: path)
        return try run(input, name: fileName(of: path), options: options)
    }

    /// Validates everything readable from a file descriptor (standard input).
    public static func validate(descriptor: Int32, name: String, options: ValidationOptions)
        throws(PreflightError) -> ValidationReport {
        let input = try InputBytes.readToEnd(descriptor: descriptor, name: name)
        return try run(input, name: name, options: options)
    }

    /// Validates bytes held in memory.
    public static func validate(bytes: [UInt8], name: String, options: ValidationOptions)
        throws(PreflightError) -> ValidationReport {
        let input = bytes.withUnsafeBytes { InputBytes.copying($0) }
        return try run(input, name: name, options: options)
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let name = String(path[path.index(after: slash)...])
        return name.isEmpty ? path : name
    }

    static func run(_ input: InputBytes, name: String, options: ValidationOptions) throws(PreflightError)
        -> ValidationReport {
        if input.count >= 2, input.bytes[0] == 0x1F, input.bytes[1] == 0x8B { throw .compressed(name) }
        var run = FileRun(input: input, options: options)
        try run.validate()
        return ValidationReport(
            file: .init(name: name, format: options.format, sizeBytes: input.count, schemaType: options.schema.name),
            totalRows: run.totalRows, validatedRows: run.totalRows, invalidRows: run.log.invalidRows,
            errors: run.log.listed, errorCounts: run.log.countsByCode, totalErrors: run.log.totalErrors,
            fileLevelErrors: run.log.fileLevelErrors, notices: run.log.notices)
    }
}

/// One validation of one input: the state shared by the format drivers below.
struct FileRun {
    let input: InputBytes
    let options: ValidationOptions
    var log: IssueLog
    var rows: RowChecker
    var totalRows = 0
    /// Where the content starts (after a BOM).
    var contentStart = 0

    init(input: InputBytes, options: ValidationOptions) {
        self.input = input
        self.options = options
        log = IssueLog(maxErrors: options.maxErrors)
        rows = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
    }

    var bytes: UnsafeRawBufferPointer { input.bytes }

    mutating func validate() throws(PreflightError) {
        if options.maxFileSize > 0, input.count > options.maxFileSize {
            log.add(.fileTooLarge(limit: options.maxFileSize), row: 0, line: 0)
        }
        if Bytes.hasBOM(bytes) {
            contentStart = 3
            log.notices.append(Notice(code: "bom_present",
                                      message: "File starts with a UTF-8 byte order mark; remove it before upload",
                                      row: nil))
        }
        if ValueChecks.isWhitespace(UnsafeRawBufferPointer(rebasing: bytes[contentStart...])) {
            log.add(.emptyPayload, row: 0, line: 0)
            return
        }
        switch options.format {
        case .csv: try validateCSV()
        case .ndjson: try validateNDJSON()
        case .json: try validateJSON()
        }
    }

    /// Counts a data row; reports `too_many_rows` once, at the first row past the limit.
    private mutating func countRow(row: Int, line: Int) {
        totalRows += 1
        if options.maxRows > 0, totalRows == options.maxRows + 1 {
            log.add(.tooManyRows(limit: options.maxRows), row: row, line: line)
        }
    }

    private mutating func noteMixedLineEndings(_ endings: LineEndings) {
        if endings.areMixed {
            log.notices.append(Notice(
                code: "mixed_line_endings",
                message: "File mixes CRLF (\(endings.crlf)) and LF (\(endings.lf)) line endings", row: nil))
        }
    }

    // MARK: CSV

    private mutating func validateCSV() throws(PreflightError) {
        let reader = try CSVReader(delimiter: options.delimiter, recordCap: options.recordCap)
        var expectedFields = -1  // until the header is read
        try reader.read(bytes, from: contentStart, to: bytes.count, firstLine: 1) { (record) throws(PreflightError) -> Bool in
            if expectedFields < 0 {
                guard let count = readHeader(record) else { return false }
                expectedFields = count
                return true
            }
            let row = totalRows + 2  // the header is row 1
            countRow(row: row, line: record.line)
            switch record.status {
            case .tooLarge: rows.rejectRow(.recordTooLarge, row: row, line: record.line, into: &log)
            case .malformedQuotes: rows.rejectRow(.malformedQuotes, row: row, line: record.line, into: &log)
            case .unterminatedQuote: rows.rejectRow(.unterminatedQuote, row: row, line: record.line, into: &log)
            case .parsed:
                if !Bytes.isValidUTF8(bytes, from: record.start, to: record.end) {
                    rows.rejectRow(.invalidUTF8, row: row, line: record.line, into: &log)
                } else if record.fieldCount != expectedFields {
                    rows.rejectRow(.fieldCountMismatch(expected: expectedFields, found: record.fieldCount),
                                   row: row, line: record.line, into: &log)
                } else {
                    rows.checkCSV(record, row: row, line: record.line, into: &log)
                }
            }
            return true
        }
        noteMixedLineEndings(reader.lineEndings)
    }

    /// Checks the header record; returns its field count, or nil when it cannot be read.
    private mutating func readHeader(_ record: CSVRecord) -> Int? {
        let problem: String?
        switch record.status {
        case .tooLarge: problem = "the header is longer than \(options.recordCap) bytes"
        case .malformedQuotes: problem = "malformed quoted field in the header"
        case .unterminatedQuote: problem = "quoted field not terminated in the header"
        case .parsed:
            problem = Bytes.isValidUTF8(bytes, from: record.start, to: record.end) ? nil : "the header is not valid UTF-8"
        }
        if let problem {
            log.add(.invalidCSV(detail: problem), row: 1, line: record.line)
            return nil
        }
        let names = (0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) }
        let schema = options.schema
        for column in schema.columns where column.required && !names.contains(column.name) {
            log.add(.missingRequiredColumn(column.name), row: 1, line: record.line)
        }
        var seen = Set<String>()
        var reported = Set<String>()
        for name in names {
            if !seen.insert(name).inserted {
                if reported.insert(name).inserted { log.add(.duplicateColumn(name), row: 1, line: record.line) }
            } else if !schema.acceptsOtherColumns, schema.columnIndex(named: name) == nil {
                log.notices.append(Notice(code: "unknown_column", message: "Unknown column: " + name, row: 1))
            }
        }
        rows.useCSVHeader(names)
        return names.count
    }

    // MARK: NDJSON

    private mutating func validateNDJSON() throws(PreflightError) {
        let reader = try NDJSONReader(recordCap: options.recordCap)
        var unknown = UnknownColumns()
        try reader.read(bytes, readable: input.readable, from: contentStart, to: bytes.count, firstLine: 1) {
            (line) throws(PreflightError) -> Bool in
            let row = line.line
            countRow(row: row, line: row)
            check(line, row: row, unknown: &unknown)
            return true
        }
        log.notices.append(contentsOf: unknown.notices)
        noteMixedLineEndings(reader.lineEndings)
    }

    private mutating func check(_ item: JSONRow, row: Int, unknown: inout UnknownColumns) {
        switch item.content {
        case .object(let object): rows.checkObject(object, row: row, line: item.line, unknownColumns: &unknown, into: &log)
        case .tooLarge: rows.rejectRow(.recordTooLarge, row: row, line: item.line, into: &log)
        case .emptyLine: rows.rejectRow(.emptyLine, row: row, line: item.line, into: &log)
        case .invalidUTF8: rows.rejectRow(.invalidUTF8, row: row, line: item.line, into: &log)
        case .controlCharacter: rows.rejectRow(.controlCharacter, row: row, line: item.line, into: &log)
        case .syntaxError(let detail): rows.rejectRow(.syntaxError(detail: detail), row: row, line: item.line, into: &log)
        case .notAnObject: rows.rejectRow(.notAnObject, row: row, line: item.line, into: &log)
        }
    }

    // MARK: JSON

    private mutating func validateJSON() throws(PreflightError) {
        // simdjson reads a few bytes past the document: parse in place only if they are readable.
        let padded = input.readable - input.count >= InputBytes.padding ? input : InputBytes.copying(bytes)
        let reader = try JSONReader(recordCap: options.recordCap)
        var unknown = UnknownColumns()
        let failure = try reader.read(padded.bytes, readable: padded.readable, documentStart: contentStart) {
            (element) throws(PreflightError) in
            let row = totalRows + 1
            countRow(row: row, line: element.line)
            check(element, row: row, unknown: &unknown)
        }
        guard let failure else {
            log.notices.append(contentsOf: unknown.notices)
            return
        }
        // Any syntax error makes the whole file invalid: forget the rows read so far.
        let notices = log.notices
        log = IssueLog(maxErrors: options.maxErrors)
        log.notices = notices
        totalRows = 0
        if options.maxFileSize > 0, input.count > options.maxFileSize {
            log.add(.fileTooLarge(limit: options.maxFileSize), row: 0, line: 0)
        }
        log.add(.invalidJSON(detail: describe(failure, in: padded.bytes)), row: 0, line: 0)
    }

    private func describe(_ failure: JSONReader.Failure, in bytes: UnsafeRawBufferPointer) -> String {
        func at(_ offset: Int) -> String { "line \(Bytes.lineNumber(of: offset, in: bytes)), byte offset \(offset)" }
        switch failure {
        case .wrongShape:
            return "expected an array of objects, or an object with a data, records, items or rows array"
        case .invalidUTF8:
            let offset = Bytes.firstInvalidUTF8(bytes, from: 0, to: bytes.count) ?? 0
            return "invalid UTF-8 at " + at(offset)
        case .controlCharacter:
            let offset = Self.firstRawControlCharacterInString(bytes, from: contentStart) ?? 0
            return "control character in a string at " + at(offset)
        case .syntax(let message, let offset):
            return offset.map { "syntax error at \(at($0)): \(message)" } ?? "syntax error: \(message)"
        }
    }

    /// Offset of the first raw U+0000–U+001F inside a JSON string (error messages only).
    static func firstRawControlCharacterInString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == Bytes.quote {
                    inString = false
                } else if byte < 0x20 { return index }
            } else if byte == Bytes.quote {
                inString = true
            }
        }
        return nil
    }
}
