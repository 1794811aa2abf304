/// A JSON document that is not a top-level array (a wrapper object such as `{"data": [...]}`, or
/// not JSON at all): read whole, since the wrapper to use is known only once all its keys are,
/// then element by element.
struct JSONDocumentRun {
    let options: ValidationOptions
    var outcome: RunOutcome
    private let control: RunControl

    init(options: ValidationOptions, delivery: RowDelivery?, control: RunControl) {
        self.options = options
        self.control = control
        outcome = RunOutcome(options: options, firstDataRow: 1, delivery: delivery)
    }

    /// Reads the rest of `source` (its first window is read) and validates it; a stop request
    /// leaves the outcome incomplete.
    mutating func validate(_ source: WindowedSource) throws(PreflightError) {
        let control = self.control
        do throws(PreflightError) {
            let input = try source.readWholeInput { (inputStart, inputEnd) throws(PreflightError) in
                control.beginWindow(bytes: 0, inputStart: inputStart, inputEnd: inputEnd)
                if control.isStopRequested { throw .stopped }
            }
            if Bytes.isGzip(input.bytes) { throw .compressed(source.name) }
            try validate(input)
        } catch where error.isStop && control.isStopRequested {
            outcome.isComplete = false
        }
    }

    private mutating func validate(_ input: InputBytes) throws(PreflightError) {
        let bytes = input.bytes
        var contentStart = 0
        if Bytes.hasBOM(bytes) {
            contentStart = 3
            outcome.notices.append(bomNotice)
        }
        let isEmpty = Bytes.isWhitespace(UnsafeRawBufferPointer(rebasing: bytes[contentStart...]))
        if !isEmpty { try readDocument(input, from: contentStart) }
        try outcome.finish(sizeBytes: input.count, isEmpty: isEmpty, options: options)
    }

    private mutating func readDocument(_ input: InputBytes, from contentStart: Int) throws(PreflightError) {
        // simdjson reads a few bytes past the document: parse in place only if they are readable.
        let padded = input.readable - input.count >= InputBytes.padding ? input : InputBytes.copying(input.bytes)
        // The last look before simdjson indexes the whole document, which cannot be interrupted.
        if control.isStopRequested { throw .stopped }
        let reader = try JSONReader(recordCap: options.lineCap)
        var checker = RowChecker(schema: options.schema, checksUniqueIDs: options.uniqueIDs)
        var result = ChunkResult(maxErrors: options.maxErrors, tracksRows: options.tracksRows)
        let control = self.control
        let failure = try reader.read(padded.bytes, readable: padded.readable, documentStart: contentStart) {
            (element) throws(PreflightError) in
            if result.rows % RunControl.rowsPerLook == 0, control.isStopRequested { throw .stopped }
            let row = result.beginRow(line: element.line - 1, start: element.start, next: element.end)
            checker.check(JSONRow(line: element.line - 1, start: element.start, end: element.end, next: element.end,
                                  content: element.content),
                          row: row, into: &result)
        }
        guard let failure else {
            result.lines = 0
            try outcome.merger.merge([result], window: padded.bytes)
            return
        }
        // Any syntax error makes the whole file invalid: the rows read so far are dropped.
        try outcome.addFileIssue(.invalidJSON(detail: describe(failure, in: padded.bytes, contentStart: contentStart)),
                                 row: 0, line: 0)
    }

    private func describe(_ failure: JSONReader.Failure, in bytes: UnsafeRawBufferPointer, contentStart: Int) -> String {
        func at(_ offset: Int) -> String { "line \(Bytes.lineNumber(of: offset, in: bytes)), byte offset \(offset)" }
        switch failure {
        case .wrongShape: return failure.detail(at: nil)
        case .invalidUTF8: return failure.detail(at: at(Bytes.firstInvalidUTF8(bytes, from: 0, to: bytes.count) ?? 0))
        case .controlCharacter:
            return failure.detail(at: at(Self.firstRawControlCharacterInString(bytes, from: contentStart) ?? 0))
        case .syntax(_, let offset): return failure.detail(at: offset.map(at))
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
