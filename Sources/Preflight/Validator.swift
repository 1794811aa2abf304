#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The public entry point: input bytes → format reader → row rules → report.
public enum Validator {
    /// Validates the file at `path`. `hooks` receive its rows and watch its progress.
    public static func validate(path: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        let source = try WindowedSource.open(path: path, windowSize: options.effectiveWindowSize)
        return try validate(source, name: fileName(of: path), options: options, hooks: hooks)
    }

    /// Validates everything readable from a file descriptor (standard input), as a stream.
    public static func validate(descriptor: Int32, name: String, options: ValidationOptions,
                                hooks: RunHooks = RunHooks()) throws(PreflightError) -> ValidationReport {
        let source = WindowedSource.stream(descriptor: descriptor, name: name, windowSize: options.effectiveWindowSize)
        return try validate(source, name: name, options: options, hooks: hooks)
    }

    /// Validates bytes held in memory.
    public static func validate(bytes: [UInt8], name: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        let source = WindowedSource.memory(bytes, name: name, windowSize: options.effectiveWindowSize)
        return try validate(source, name: name, options: options, hooks: hooks)
    }

    private static func validate(_ source: WindowedSource, name: String, options: ValidationOptions, hooks: RunHooks)
        throws(PreflightError) -> ValidationReport {
        var options = options
        options.tracksRows = !hooks.observers.isEmpty
        let delivery = hooks.observers.isEmpty ? nil : RowDelivery(hooks.observers)
        let control = RunControl()
        let ticker = hooks.monitor.map { ProgressTicker(monitor: $0, control: control, totalBytes: source.inputSize) }
        defer {
            ticker?.stop()
            hooks.monitor?.progress(bytesRead: source.inputBytesRead, totalBytes: source.inputSize)
        }
        if options.format == .json, try !source.startsWithJSONArray() {
            // Not a top-level array (a wrapper object, or not JSON): the document is read whole.
            var run = JSONRun(options: options, delivery: delivery, control: control)
            do throws(PreflightError) {
                let input = try source.readWholeInput { (inputStart, inputEnd) throws(PreflightError) in
                    control.beginWindow(bytes: 0, inputStart: inputStart, inputEnd: inputEnd)
                    if control.isStopRequested { throw .stopped }
                }
                if isGzip(input.bytes) { throw .compressed(name) }
                try run.validate(input)
            } catch where error.isStop {
                run.outcome.isComplete = false
            }
            return run.outcome.report(name: name, sizeBytes: source.bytesRead, options: options)
        }
        var run = StreamRun(source: source, options: options, delivery: delivery, control: control,
                            monitor: hooks.monitor)
        try run.validate()
        return run.report(name: name)
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let name = String(path[path.index(after: slash)...])
        return name.isEmpty ? path : name
    }

    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }
}

/// A run's final numbers, whatever the format.
struct RunOutcome {
    var merger: ChunkMerger
    var notices: [Notice] = []
    /// False when a monitor stopped the run: the counts are those of the rows read until then.
    var isComplete = true

    init(options: ValidationOptions, firstDataRow: Int, delivery: RowDelivery?) {
        merger = ChunkMerger(log: IssueLog(maxErrors: options.maxErrors), firstDataRow: firstDataRow, firstLine: 1,
                             maxRows: options.maxRows, idField: options.schema.idColumn.name,
                             idShards: min(options.effectiveThreads, Parallel.coreCount))
        merger.delivery = delivery
    }

    /// An error found outside the data rows (header, row 0): counted, listed, and delivered.
    mutating func addFileIssue(_ kind: IssueKind, row: Int, line: Int) throws(PreflightError) {
        let issue = merger.log.addReturningIssue(kind, row: row, line: line)
        try merger.delivery?.fileIssue(issue)
    }

    /// Adds the file-level errors only known at the end (size, emptiness) in front, as row 0.
    mutating func finish(sizeBytes: Int, isEmpty: Bool, options: ValidationOptions) throws(PreflightError) {
        var front = IssueLog(maxErrors: options.maxErrors)
        var frontIssues: [IssueKind] = []
        if options.maxFileSize > 0, sizeBytes > options.maxFileSize {
            frontIssues.append(.fileTooLarge(limit: options.maxFileSize))
        }
        if isEmpty {
            // Nothing but whitespace: that is the one thing to say (rows and notices go).
            frontIssues.append(.emptyPayload)
            try merger.delivery?.discardRows()
        }
        for kind in frontIssues {
            let issue = front.addReturningIssue(kind, row: 0, line: 0)
            try merger.delivery?.fileIssue(issue)
        }
        if isEmpty {
            notices.removeAll { $0.code != "bom_present" }
            merger = ChunkMerger(log: front, firstDataRow: 1, firstLine: 1, maxRows: 0, idField: "")
            return
        }
        front.addCounts(of: merger.log)
        for issue in merger.log.listed { front.list(issue) }
        merger.log = front
        notices.append(contentsOf: merger.unknownColumns.notices)
        if merger.lineEndings.areMixed {
            notices.append(Notice(
                code: "mixed_line_endings",
                message: "File mixes CRLF (\(merger.lineEndings.crlf)) and LF (\(merger.lineEndings.lf)) line endings",
                row: nil))
        }
    }

    func report(name: String, sizeBytes: Int, options: ValidationOptions) -> ValidationReport {
        let log = merger.log
        return ValidationReport(
            file: .init(name: name, format: options.format, sizeBytes: sizeBytes, schemaType: options.schema.name),
            totalRows: merger.dataRows, validatedRows: merger.dataRows, invalidRows: log.invalidRows,
            errors: log.listed, errorCounts: log.countsByCode, totalErrors: log.totalErrors,
            fileLevelErrors: log.fileLevelErrors, notices: notices, isComplete: isComplete)
    }
}

let bomNotice = Notice(code: "bom_present", message: "File starts with a UTF-8 byte order mark; remove it before upload",
                       row: nil)

/// CSV and NDJSON: window by window, each window cut into chunks read in parallel and merged in
/// order. Memory stays near the window size whatever the input's size.
struct StreamRun {
    let source: WindowedSource
    let options: ValidationOptions
    var outcome: RunOutcome
    private let delivery: RowDelivery?
    private let control: RunControl
    private let monitor: (any RunMonitor)?
    /// Whether anything but whitespace (after a BOM) has been seen.
    private var sawContent = false

    init(source: WindowedSource, options: ValidationOptions, delivery: RowDelivery?, control: RunControl,
         monitor: (any RunMonitor)?) {
        self.source = source
        self.options = options
        self.delivery = delivery
        self.control = control
        self.monitor = monitor
        outcome = RunOutcome(options: options, firstDataRow: options.format == .csv ? 2 : 1, delivery: delivery)
    }

    func report(name: String) -> ValidationReport {
        outcome.report(name: name, sizeBytes: source.bytesRead, options: options)
    }

    mutating func validate() throws(PreflightError) {
        do throws(PreflightError) {
            try refill(keepingFrom: 0)
            if Validator.isGzip(source.bytes) { throw .compressed(source.name) }
            var position = 0
            if Bytes.hasBOM(source.bytes) {
                position = 3
                outcome.notices.append(bomNotice)
            }
            noteContent(from: position)
            switch options.format {
            case .csv: try validateCSV(from: position)
            case .ndjson: try validateNDJSON(from: position)
            case .json: try validateJSONArray(from: position)
            }
            // Read to the end even when the header stopped us, so the size is known.
            while !source.atEnd {
                _ = try nextWindow(keepingFrom: source.count)
            }
        } catch where error.isStop {
            // Stopped from outside: the counts so far, without the checks that need the whole input.
            try delivery?.endRow()
            outcome.isComplete = false
            return
        }
        try outcome.finish(sizeBytes: source.bytesRead, isEmpty: !sawContent, options: options)
    }

    /// Moves on to the next window, keeping the bytes from `position`; returns where they now start.
    private mutating func nextWindow(keepingFrom position: Int) throws(PreflightError) -> Int {
        if monitor?.stopRequested == true { control.requestStop() }
        if control.isStopRequested { throw .stopped }
        try refill(keepingFrom: position)
        noteContent(from: 0)
        return 0
    }

    /// Reads the next window and tells the progress ticker where it lies in the input.
    private func refill(keepingFrom position: Int) throws(PreflightError) {
        let inputStart = source.inputBytesRead
        try source.refill(keepingFrom: position)
        control.beginWindow(bytes: source.count, inputStart: inputStart, inputEnd: source.inputBytesRead)
    }

    /// After the workers of a window: when a stop was asked for while they ran, the first chunk's
    /// rows (checked from the window's start up to where its worker stopped) are merged, so the
    /// counts so far are exact, and the run stops.
    private mutating func stopIfAsked(_ first: ChunkResult?, window: UnsafeRawBufferPointer) throws(PreflightError) {
        guard control.isStopRequested else { return }
        if let first { try outcome.merger.merge([first], window: window) }
        throw .stopped
    }

    /// Merges and delivers a row longer than the whole window, which starts at `start`, before its
    /// end is known: it is `record_too_large`, and its bytes go to the observers as the skipping
    /// path passes them (`passRowBytes`).
    private mutating func beginTooLargeRow() throws(PreflightError) {
        var result = ChunkResult(maxErrors: options.maxErrors, tracksRows: false)
        let row = result.beginRow(line: 0, start: 0, next: 0)
        result.log.add(.recordTooLarge, row: row, line: 0)
        result.log.countInvalidRow()
        try outcome.merger.merge([result], window: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Bytes `from..<to` of the window belong to the too-large row being skipped.
    private func passRowBytes(from start: Int, to end: Int) throws(PreflightError) {
        guard let delivery, end > start else { return }
        try delivery.rowBytes(UnsafeRawBufferPointer(rebasing: source.bytes[start..<end]))
    }

    private mutating func noteContent(from start: Int) {
        guard !sawContent, start < source.count else { return }
        sawContent = !ValueChecks.isWhitespace(UnsafeRawBufferPointer(rebasing: source.bytes[start...]))
    }

    // MARK: CSV

    private mutating func validateCSV(from start: Int) throws(PreflightError) {
        guard let (header, dataStart) = try readCSVHeader(from: start) else { return }
        let workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try CSVChunkWorker(options: options, header: header, control: control)
        }
        var position = dataStart
        while true {
            let bytes = source.bytes
            let isFinal = source.atEnd
            let starts = ChunkPlanner.csvChunks(bytes, from: position, to: source.count, count: workers.count)
            let ends = Array(starts.dropFirst()) + [source.count]
            let results = try Parallel.map(starts.count) { (index) throws(PreflightError) in
                try workers[index].process(bytes, from: starts[index], to: ends[index], dataEnd: source.count,
                                           isFinal: isFinal && index == starts.count - 1)
            }
            try stopIfAsked(results.first, window: bytes)
            var end = position
            var accepted: [ChunkResult] = []
            for index in results.indices {
                var result = results[index]
                let isLast = index == results.count - 1
                if starts[index] != end {
                    // A malformed quote misled the cut: read this chunk again from where the last one ended.
                    result = try workers[0].process(bytes, from: end, to: max(end, ends[index]), dataEnd: source.count,
                                                    isFinal: isFinal && isLast)
                }
                accepted.append(result)
                end = result.end
                if result.end < ends[index] {
                    // A record runs on past the window's data: the chunks after this one are void.
                    if isFinal {
                        let tail = try workers[0].process(bytes, from: end, to: source.count, dataEnd: source.count,
                                                          isFinal: true)
                        accepted.append(tail)
                        end = tail.end
                    }
                    break
                }
            }
            try outcome.merger.merge(accepted, window: bytes)
            for (worker, result) in zip(workers, accepted) { worker.recycle(result) }
            if isFinal { return }
            if end == position, source.isFull {
                position = try skipHugeCSVRecord(from: position)
            } else {
                position = end
            }
            position = try nextWindow(keepingFrom: position)
            if source.count == 0 { return }
        }
    }

    /// Reads the header record. Returns its names and where the data starts, or nil when the
    /// header cannot be read (then `invalid_file` is logged) or the input has no record at all.
    private mutating func readCSVHeader(from start: Int) throws(PreflightError) -> ([String], Int)? {
        let reader = try CSVReader(delimiter: options.delimiter, recordCap: options.recordCap, engine: options.csvEngine)
        var names: [String]?
        var problem: String?
        var headerLine = 1
        var headerOutcome = CSVReader.Outcome(end: start, lines: 0)
        var headerSpan = start..<start
        var position = start
        var lines = 0
        while true {
            let bytes = source.bytes
            headerOutcome = try reader.read(bytes, from: position, to: source.count, dataEnd: source.count,
                                            isFinal: source.atEnd, firstLine: 1 + lines) { record in
                headerLine = record.line
                headerSpan = record.start..<record.next
                switch record.status {
                case .tooLarge: problem = "the header is longer than \(options.recordCap) bytes"
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
            if names != nil || problem != nil || source.atEnd { break }
            // Blank lines only so far, or a header longer than the window.
            if headerOutcome.end == position, source.isFull {
                problem = "the header is longer than \(options.recordCap) bytes"
                headerLine = 1 + lines
                break
            }
            position = try nextWindow(keepingFrom: headerOutcome.end)
        }
        if let problem {
            try outcome.addFileIssue(.invalidCSV(detail: problem), row: 1, line: headerLine)
            return nil
        }
        guard let names else { return nil }
        try delivery?.header(UnsafeRawBufferPointer(rebasing: source.bytes[headerSpan]))
        let schema = options.schema
        let hint = Self.delimiterHint(names, schema: schema)
        for column in schema.columns where column.required && !names.contains(column.name) {
            try outcome.addFileIssue(.missingRequiredColumn(column.name, delimiterHint: hint), row: 1, line: headerLine)
        }
        var seen = Set<String>()
        var reported = Set<String>()
        for name in names {
            if !seen.insert(name).inserted {
                if reported.insert(name).inserted {
                    try outcome.addFileIssue(.duplicateColumn(name), row: 1, line: headerLine)
                }
            } else if !schema.acceptsOtherColumns, schema.columnIndex(named: name) == nil {
                outcome.notices.append(Notice(code: "unknown_column", message: "Unknown column: " + name, row: 1))
            }
        }
        outcome.merger.nextLine = 1 + lines
        outcome.merger.lineEndings.add(reader.lineEndings)
        return (names, headerOutcome.end)
    }

    /// When the header is one column that, split at `;`, `|`, a tab or a comma, names a column of the
    /// schema, the file was most likely written with that delimiter: its `--delimiter` spelling.
    static func delimiterHint(_ names: [String], schema: Schema) -> String? {
        guard names.count == 1 else { return nil }
        for (delimiter, spelling) in [(Character(";"), ";"), ("|", "|"), ("\t", "tab"), (",", ",")] {
            let parts = names[0].split(separator: delimiter, omittingEmptySubsequences: false)
            if parts.count > 1, parts.contains(where: { schema.columnIndex(named: String($0)) != nil }) { return spelling }
        }
        return nil
    }

    /// A record longer than the whole window (so longer than the cap): skips it by quote parity,
    /// window after window, and reports it as `record_too_large`. Returns where reading goes on.
    private mutating func skipHugeCSVRecord(from start: Int) throws(PreflightError) -> Int {
        try beginTooLargeRow()
        var lines = 0
        var lineEndings = LineEndings()
        var inQuotes = false
        var position = start
        var pieceStart = start  // the first byte of the row in this window
        var previous: UInt8 = 0  // the byte before `position`, when it is in an earlier window
        while true {
            let bytes = source.bytes
            let end = source.count
            // Jump from quote to line break with memchr: the record may be gigabytes long.
            var nextQuote = Bytes.next(Bytes.quote, in: bytes, from: position, to: end) ?? end
            var nextLF = Bytes.nextLF(bytes, from: position, to: end) ?? end
            while position < end {
                if nextQuote < nextLF {
                    inQuotes.toggle()
                    position = nextQuote + 1
                    nextQuote = Bytes.next(Bytes.quote, in: bytes, from: position, to: end) ?? end
                    continue
                }
                if nextLF == end { position = end; break }
                lines += 1
                let before = nextLF > pieceStart ? bytes[nextLF - 1] : previous
                position = nextLF + 1
                if !inQuotes {
                    if before == Bytes.cr { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
                    try endTooLargeRow(bytesFrom: pieceStart, to: position, lines: lines, lineEndings: lineEndings)
                    return position
                }
                nextLF = Bytes.nextLF(bytes, from: position, to: end) ?? end
            }
            if end > 0 { previous = bytes[end - 1] }
            try passRowBytes(from: pieceStart, to: position)
            if source.atEnd {
                try endTooLargeRow(bytesFrom: position, to: position, lines: lines, lineEndings: lineEndings)
                return position
            }
            position = try nextWindow(keepingFrom: position)
            pieceStart = position
        }
    }

    /// The too-large row ends: its last bytes, then its lines (now known) into the numbering.
    private mutating func endTooLargeRow(bytesFrom start: Int, to end: Int, lines: Int, lineEndings: LineEndings)
        throws(PreflightError) {
        try passRowBytes(from: start, to: end)
        try delivery?.endRow()
        outcome.merger.advance(lines: lines, lineEndings: lineEndings)
    }

    // MARK: JSON arrays

    /// A top-level JSON array, streamed: the scanner finds the elements of each window, workers
    /// parse them in parallel, and any syntax error makes the whole file `invalid_file`.
    private mutating func validateJSONArray(from start: Int) throws(PreflightError) {
        let workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try JSONElementWorker(options: options, control: control)
        }
        var scanner = JSONArrayScanner()
        var elements: [JSONArrayScanner.Element] = []
        var position = start
        var line = 1  // the line where scanning of this window starts
        while true {
            let bytes = source.bytes
            elements.removeAll(keepingCapacity: true)
            let control = self.control
            let scanned = scanner.scan(bytes, from: position, to: source.count, isFinal: source.atEnd, into: &elements,
                                       shouldStop: { control.isStopRequested })
            if scanned == .stopped { throw .stopped }
            let parts = min(workers.count, max(1, elements.count))
            let slices = (0..<parts).map { part in
                elements[(elements.count * part / parts)..<(elements.count * (part + 1) / parts)]
            }
            let readable = source.readable
            let results = try Parallel.map(parts) { (index) throws(PreflightError) in
                try workers[index].process(bytes, readable: readable, elements: slices[index])
            }
            outcome.merger.nextLine = line
            try stopIfAsked(results.first.flatMap { $0.1 == nil ? $0.0 : nil }, window: bytes)
            for (_, failure) in results {
                if let failure {
                    let at = failure.elementLine + Bytes.countLF(bytes, from: failure.elementStart, to: failure.offset)
                    try failJSON(failure.kind, offset: failure.offset, line: line + at, elementStart: failure.elementStart)
                    return
                }
            }
            outcome.merger.nextLine = line
            try outcome.merger.merge(results.map(\.0), window: bytes)
            for (worker, result) in zip(workers, results) { worker.recycle(result.0) }
            switch scanned {
            case .finished, .stopped:
                return
            case .syntax(let offset, let message):
                let at = line + Bytes.countLF(bytes, from: position, to: offset)
                try failJSON(.syntax(message: message, offset: nil), offset: offset, line: at, elementStart: offset)
                return
            case .needMore(let resume):
                line += scanner.takeLines()
                if resume == position, source.isFull {
                    // One value longer than the whole window: skip it, report it as too large.
                    guard let after = try skipHugeJSONValue(from: resume, line: &line) else {
                        let offset = source.count
                        try failJSON(.syntax(message: "the document ends inside a value", offset: nil), offset: offset,
                                 line: line, elementStart: offset)
                        return
                    }
                    scanner.skippedValue()
                    position = after
                } else {
                    position = resume
                }
                position = try nextWindow(keepingFrom: position)
            }
        }
    }

    /// Any syntax error makes the whole file invalid: the rows read so far are dropped.
    private mutating func failJSON(_ failure: JSONReader.Failure, offset: Int, line: Int, elementStart: Int)
        throws(PreflightError) {
        let bytes = source.bytes
        let windowStart = source.bytesRead - source.count
        var offset = offset
        var line = line
        switch failure {
        case .invalidUTF8:
            if let bad = Bytes.firstInvalidUTF8(bytes, from: elementStart, to: bytes.count) {
                line += Bytes.countLF(bytes, from: offset, to: bad)
                offset = bad
            }
        case .controlCharacter:
            if let bad = JSONRun.firstRawControlCharacterInString(bytes, from: elementStart) {
                line += Bytes.countLF(bytes, from: offset, to: bad)
                offset = bad
            }
        default:
            break
        }
        let detail = failure.detail(at: "line \(line), byte offset \(windowStart + offset)")
        var fresh = RunOutcome(options: options, firstDataRow: 1, delivery: delivery)
        fresh.notices = outcome.notices.filter { $0.code == "bom_present" }
        try delivery?.discardRows()
        try fresh.addFileIssue(.invalidJSON(detail: detail), row: 0, line: 0)
        outcome = fresh
    }

    /// Skips a value longer than the window, window after window, and reports it as
    /// `record_too_large`. Returns the position after it, or nil when the input ends inside it
    /// (then the document is not valid JSON).
    private mutating func skipHugeJSONValue(from start: Int, line: inout Int) throws(PreflightError) -> Int? {
        outcome.merger.nextLine = line
        try beginTooLargeRow()
        // The scanner's own value skipper, carried from window to window.
        var skipper = JSONArrayScanner.ValueSkipper()
        var position = start
        while true {
            if let end = skipper.advance(source.bytes.baseAddress!, from: position, to: source.count, lines: &line) {
                try passRowBytes(from: position, to: end)
                try delivery?.endRow()
                return end
            }
            try passRowBytes(from: position, to: source.count)
            if source.atEnd { return nil }
            position = try nextWindow(keepingFrom: source.count)
        }
    }

    // MARK: NDJSON

    private mutating func validateNDJSON(from start: Int) throws(PreflightError) {
        let workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try NDJSONChunkWorker(options: options, control: control)
        }
        var position = start
        while true {
            let bytes = source.bytes
            let readable = source.readable
            let isFinal = source.atEnd
            let starts = ChunkPlanner.lineChunks(bytes, from: position, to: source.count, count: workers.count)
            let ends = Array(starts.dropFirst()) + [source.count]
            let results = try Parallel.map(starts.count) { (index) throws(PreflightError) in
                try workers[index].process(bytes, readable: readable, from: starts[index], to: ends[index],
                                           dataEnd: source.count, isFinal: isFinal && index == starts.count - 1)
            }
            try stopIfAsked(results.first, window: bytes)
            try outcome.merger.merge(results, window: bytes)
            let end = results.last?.end ?? position
            for (worker, result) in zip(workers, results) { worker.recycle(result) }
            if isFinal { return }
            if end == position, source.isFull {
                position = try skipHugeNDJSONLine(from: position)
            } else {
                position = end
            }
            position = try nextWindow(keepingFrom: position)
            if source.count == 0 { return }
        }
    }

    /// A line longer than the whole window: skips to its end and reports `record_too_large`.
    private mutating func skipHugeNDJSONLine(from start: Int) throws(PreflightError) -> Int {
        try beginTooLargeRow()
        var lineEndings = LineEndings()
        var position = start
        var previous: UInt8 = 0
        while true {
            if let lf = Bytes.nextLF(source.bytes, from: position, to: source.count) {
                let before = lf > position ? source.bytes[lf - 1] : previous
                if before == Bytes.cr { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
                try endTooLargeRow(bytesFrom: position, to: lf + 1, lines: 1, lineEndings: lineEndings)
                return lf + 1
            }
            if source.count > 0 { previous = source.bytes[source.count - 1] }
            try passRowBytes(from: position, to: source.count)
            if source.atEnd {
                try endTooLargeRow(bytesFrom: source.count, to: source.count, lines: 1, lineEndings: lineEndings)
                return source.count
            }
            position = try nextWindow(keepingFrom: source.count)
        }
    }
}

/// JSON: the document is read whole (simdjson needs it in one piece), element by element.
struct JSONRun {
    let options: ValidationOptions
    var outcome: RunOutcome
    private let control: RunControl

    init(options: ValidationOptions, delivery: RowDelivery?, control: RunControl) {
        self.options = options
        self.control = control
        outcome = RunOutcome(options: options, firstDataRow: 1, delivery: delivery)
    }

    mutating func validate(_ input: InputBytes) throws(PreflightError) {
        let bytes = input.bytes
        var contentStart = 0
        if Bytes.hasBOM(bytes) {
            contentStart = 3
            outcome.notices.append(bomNotice)
        }
        let isEmpty = ValueChecks.isWhitespace(UnsafeRawBufferPointer(rebasing: bytes[contentStart...]))
        if !isEmpty { try readDocument(input, from: contentStart) }
        try outcome.finish(sizeBytes: input.count, isEmpty: isEmpty, options: options)
    }

    private mutating func readDocument(_ input: InputBytes, from contentStart: Int) throws(PreflightError) {
        // simdjson reads a few bytes past the document: parse in place only if they are readable.
        let padded = input.readable - input.count >= InputBytes.padding ? input : InputBytes.copying(input.bytes)
        let reader = try JSONReader(recordCap: options.recordCap)
        var checker = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
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
