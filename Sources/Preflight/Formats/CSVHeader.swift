/// The CSV header record: read from the first non-blank line (across windows if it must), then
/// judged by `HeaderRules`.
enum CSVHeader {
    /// Reads the header from `start`. Returns its names and where the data starts, or nil when the
    /// header cannot be read (then `invalid_file` is logged) or the input has no record at all.
    static func read(from start: Int, in run: RunContext) throws(PreflightError) -> ([String], Int)? {
        let options = run.options
        let reader = try CSVReader(delimiter: options.fieldDelimiter, recordCap: options.lineCap, engine: options.csvEngine)
        var names: [String]?
        var problem: String?
        var headerLine = 1
        var headerOutcome = CSVReader.Outcome(end: start, lines: 0)
        var headerSpan = start..<start
        var position = start
        var lines = 0
        while true {
            let bytes = run.window
            headerOutcome = try reader.read(bytes, from: position, to: run.count, dataEnd: run.count,
                                            isFinal: run.isFinal, firstLine: 1 + lines) { record in
                headerLine = record.line
                headerSpan = record.start..<record.next
                switch record.status {
                case .tooLarge: problem = "the header is longer than \(options.lineCap) bytes"
                case .malformedQuotes: problem = "malformed quoted field in the header"
                case .unterminatedQuote: problem = "quoted field not terminated in the header"
                case .parsed:
                    if Bytes.isValidUTF8(bytes, from: record.start, to: record.end) {
                        names = (0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) }
                    } else {
                        problem = "the header is not valid UTF-8"
                    }
                }
                return false
            }
            lines += headerOutcome.lines
            if names != nil || problem != nil || run.isFinal { break }
            // Blank lines only so far, or a header longer than the window.
            if headerOutcome.end == position, run.isFull {
                problem = "the header is longer than \(options.lineCap) bytes"
                headerLine = 1 + lines
                break
            }
            position = try run.nextWindow(keepingFrom: headerOutcome.end)
        }
        if let problem {
            try run.outcome.addFileIssue(.invalidCSV(detail: problem), row: 1, line: headerLine)
            return nil
        }
        guard let names else { return nil }
        try run.header(headerSpan, fields: names.count)
        let judged = HeaderRules.check(names, schema: options.schema)
        for kind in judged.errors { try run.outcome.addFileIssue(kind, row: 1, line: headerLine) }
        run.outcome.notices.append(contentsOf: judged.notices)
        run.outcome.merger.nextLine = 1 + lines
        run.outcome.merger.lineEndings.add(reader.lineEndings)
        return (names, headerOutcome.end)
    }
}
