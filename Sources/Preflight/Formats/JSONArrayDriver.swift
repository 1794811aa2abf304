/// A top-level JSON array for the window loop: a structural scan finds each window's elements
/// and checks what lies between them, the workers parse the elements with simdjson in parallel,
/// and any syntax error makes the whole file `invalid_file` (the rows read so far are dropped).
/// An element longer than the window is skipped by structure and reported as too large.
struct JSONArrayDriver: FormatDriver {
    typealias Chunk = ArraySlice<JSONArrayScanner.Element>
    typealias Checked = (ChunkResult, JSONElementWorker.Failure?)

    let options: ValidationOptions
    let control: RunControl
    private var workers: [JSONElementWorker] = []
    private var scanner = JSONArrayScanner()
    private var elements: [JSONArrayScanner.Element] = []
    /// What the scan of the current window found beyond its elements.
    private var scanned = JSONArrayScanner.Outcome.finished
    /// The line where scanning of the current window starts.
    private var line = 1

    init(options: ValidationOptions, control: RunControl) {
        self.options = options
        self.control = control
    }

    /// Whether the input, whose first window `source` holds, is a top-level array (then it
    /// streams through this driver; otherwise it is read whole).
    static func startsWithArray(_ source: WindowedSource) throws(PreflightError) -> Bool {
        if source.count == 0, !source.atEnd { try source.refill(keepingFrom: 0) }
        return JSONArrayScanner.startsWithArray(source.bytes, from: Bytes.hasBOM(source.bytes) ? 3 : 0)
    }

    mutating func start(at position: Int, in run: RunContext) throws(PreflightError) -> Int? {
        let options = self.options, control = self.control
        workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try JSONElementWorker(options: options, control: control)
        }
        return position
    }

    mutating func plan(from position: Int, workers: Int, in run: RunContext) throws(PreflightError) -> [Chunk] {
        elements.removeAll(keepingCapacity: true)
        let control = self.control
        scanned = scanner.scan(run.window, from: position, to: run.count, isFinal: run.isFinal, into: &elements,
                               shouldStop: { control.isStopRequested })
        if scanned == .stopped { throw .stopped }
        let parts = min(workers, self.workers.count, max(1, elements.count))
        return (0..<parts).map { part in
            elements[(elements.count * part / parts)..<(elements.count * (part + 1) / parts)]
        }
    }

    func check(_ chunk: Chunk, worker: Int, in run: RunContext) throws(PreflightError) -> Checked {
        try workers[worker].process(run.window, readable: run.readable, elements: chunk)
    }

    mutating func settle(_ checked: [Checked], chunks: [Chunk], from position: Int, stopping: Bool,
                         in run: RunContext) throws(PreflightError) -> Settled {
        run.outcome.merger.nextLine = line
        if stopping {
            let first = checked.first.flatMap { $0.1 == nil ? $0.0 : nil }
            return Settled(results: first.map { [$0] } ?? [], next: .finished)
        }
        for (_, failure) in checked {
            if let failure {
                let at = failure.elementLine + Bytes.countLF(run.window, from: failure.elementStart, to: failure.offset)
                try fail(failure.kind, offset: failure.offset, line: line + at, elementStart: failure.elementStart, in: run)
                return Settled(results: [], next: .finished)
            }
        }
        let results = checked.map(\.0)
        switch scanned {
        case .finished, .stopped, .arrayEnded:
            return Settled(results: results, next: .finished)
        case .syntax(let offset, let message):
            // The document is invalid: the rows of this window are not merged, those before are dropped.
            recycle(results)
            let at = line + Bytes.countLF(run.window, from: position, to: offset)
            try fail(.syntax(message: message, offset: nil), offset: offset, line: at, elementStart: offset, in: run)
            return Settled(results: [], next: .finished)
        case .needMore(let resume):
            line += scanner.takeLines()
            return Settled(results: results, next: .resume(resume))
        }
    }

    func recycle(_ results: [ChunkResult]) {
        for (worker, result) in zip(workers, results) { worker.recycle(result) }
    }

    /// The scan starts on `line`: at the array's `[` (a wrapper's), or at an element's start.
    mutating func beginInside(line: Int, atElement: Bool) {
        if atElement { scanner.resumeAtElement() }
        self.line = line
    }

    /// Skips a value longer than the window, window after window, and reports it as
    /// `record_too_large`. Returns the position after it, or nil when the input ends inside it
    /// (then the document is not valid JSON).
    mutating func skipOversized(from start: Int, in run: RunContext) throws(PreflightError) -> Int? {
        run.outcome.merger.nextLine = line
        try run.beginTooLargeRow(at: start)
        // The scanner's own value skipper, carried from window to window.
        var skipper = JSONArrayScanner.ValueSkipper()
        var position = start
        while true {
            if let end = skipper.advance(run.window.baseAddress!, from: position, to: run.count, lines: &line) {
                try run.passRowBytes(from: position, to: end)
                try run.delivery?.endRow()
                scanner.skippedValue()
                return end
            }
            try run.passRowBytes(from: position, to: run.count)
            if run.isFinal {
                try fail(.syntax(message: "the document ends inside a value", offset: nil), offset: run.count,
                         line: line, elementStart: run.count, in: run)
                return nil
            }
            position = try run.nextWindow(keepingFrom: run.count)
        }
    }

    /// Any syntax error makes the whole file invalid: the rows read so far are dropped.
    private func fail(_ failure: JSONReader.Failure, offset: Int, line: Int, elementStart: Int,
                      in run: RunContext) throws(PreflightError) {
        let bytes = run.window
        var offset = offset
        var line = line
        switch failure {
        case .invalidUTF8:
            if let bad = Bytes.firstInvalidUTF8(bytes, from: elementStart, to: bytes.count) {
                line += Bytes.countLF(bytes, from: offset, to: bad)
                offset = bad
            }
        case .controlCharacter:
            if let bad = JSONDocumentRun.firstRawControlCharacterInString(bytes, from: elementStart) {
                line += Bytes.countLF(bytes, from: offset, to: bad)
                offset = bad
            }
        default:
            break
        }
        let detail = failure.detail(at: "line \(line), byte offset \(run.windowOffset + offset)")
        try run.voidRows(with: .invalidJSON(detail: detail))
    }
}

/// Parses and checks the elements of a streamed JSON array; one per thread, reused from window to window.
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

    private let parser: JSONParser
    private var checker: RowChecker
    private let recordCap: Int
    private var storage: ChunkStorage
    private let control: RunControl

    func recycle(_ result: ChunkResult) { storage.recycle(result) }

    init(options: ValidationOptions, control: RunControl) throws(PreflightError) {
        self.control = control
        parser = try JSONParser()
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.uniqueIDs)
        storage = ChunkStorage(options: options)
        recordCap = options.lineCap
    }

    /// Checks `elements`; rows and lines are numbered from the window's start (`lines` stays 0).
    func process(_ bytes: UnsafeRawBufferPointer, readable: Int, elements: ArraySlice<JSONArrayScanner.Element>)
        throws(PreflightError) -> (ChunkResult, Failure?) {
        var result = storage.take()
        var mark = elements.first?.start ?? 0  // progress published up to here
        defer { control.passed((elements.last?.end ?? mark) - mark) }
        var checker = self.checker  // a local: no exclusivity check per row
        defer { self.checker = checker }
        for element in elements {
            guard control.keepGoing(rows: result.rows + 1, position: element.start, mark: &mark) else { break }
            let row = result.beginRow(line: element.line, start: element.start, next: element.end)
            let length = element.end - element.start
            let parsed = try parser.parseObject(bytes.baseAddress! + element.start, length: length,
                                                capacity: readable - element.start)
            let content: JSONRow.Content
            switch parsed {
            case .failed(let kind, let offset):
                return (result, Failure(kind: kind, offset: element.start + (offset ?? 0), elementLine: element.line,
                                        elementStart: element.start))
            case _ where length > recordCap: content = .tooLarge
            case .notAnObject: content = .notAnObject
            case .object(let object): content = .object(object)
            }
            checker.check(JSONRow(line: element.line, start: element.start, end: element.end, next: element.end,
                                  content: content),
                          row: row, into: &result)
        }
        return (result, nil)
    }
}
