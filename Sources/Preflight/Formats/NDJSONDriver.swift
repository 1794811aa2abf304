
/// NDJSON for the window loop: chunks cut after line breaks, each parsed line by line in place
/// (the window keeps simdjson's padding after its data); a line longer than the window is skipped.
struct NDJSONDriver: FormatDriver {
    typealias Chunk = ByteChunk

    let options: ValidationOptions
    let control: RunControl
    private var workers: [NDJSONChunkWorker] = []

    init(options: ValidationOptions, control: RunControl) {
        self.options = options
        self.control = control
    }

    mutating func start(at position: Int, in run: RunContext) throws(PreflightError) -> Int? {
        let options = self.options, control = self.control
        workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try NDJSONChunkWorker(options: options, control: control)
        }
        return position
    }

    func plan(from position: Int, workers: Int, in run: RunContext) -> [Chunk] {
        let starts = Self.cuts(run.window, from: position, to: run.planEnd, count: min(workers, self.workers.count))
        return ByteChunk.chunks(starting: starts, end: run.planEnd)
    }

    func check(_ chunk: Chunk, worker: Int, in run: RunContext) throws(PreflightError) -> ChunkResult {
        try workers[worker].process(run.window, readable: run.readable, from: chunk.start, to: chunk.end,
                                    dataEnd: run.count, isFinal: run.isFinal && chunk.isLast)
    }

    func settle(_ checked: [ChunkResult], chunks: [Chunk], from position: Int, stopping: Bool,
                in run: RunContext) -> Settled {
        if stopping { return Settled(results: Array(checked.prefix(1)), next: .finished) }
        return Settled(results: checked, next: run.isFinal ? .finished : .resume(checked.last?.end ?? position))
    }

    func recycle(_ results: [ChunkResult]) {
        for (worker, result) in zip(workers, results) { worker.recycle(result) }
    }

    /// A line longer than the whole window: skips to its end and reports `record_too_large`.
    func skipOversized(from start: Int, in run: RunContext) throws(PreflightError) -> Int? {
        try run.beginTooLargeRow(at: start)
        var lineEndings = LineEndings()
        var position = start
        var previous: UInt8 = 0
        while true {
            if let lf = Bytes.nextLF(run.window, from: position, to: run.count) {
                let before = lf > position ? run.window[lf - 1] : previous
                if before == Bytes.cr { lineEndings.crlf += 1 } else { lineEndings.lf += 1 }
                try run.endTooLargeRow(bytesFrom: position, to: lf + 1, lines: 1, lineEndings: lineEndings)
                return lf + 1
            }
            if run.count > 0 { previous = run.window[run.count - 1] }
            try run.passRowBytes(from: position, to: run.count)
            if run.isFinal {
                try run.endTooLargeRow(bytesFrom: run.count, to: run.count, lines: 1, lineEndings: lineEndings)
                return run.count
            }
            position = try run.nextWindow(keepingFrom: run.count)
        }
    }

    /// Chunk starts for `count` chunks over `start..<end`: each nominal cut moves to just after
    /// the next line break (every line is a row). The result begins with `start`; empty chunks
    /// are dropped.
    static func cuts(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int) -> [Int] {
        var starts = [start]
        guard count > 1 else { return starts }
        let size = (end - start) / count
        for index in 1..<count {
            let nominal = max(start + index * size, starts.last! + 1)
            guard nominal < end, let lf = Bytes.nextLF(bytes, from: nominal - 1, to: end), lf + 1 < end else { break }
            if lf + 1 > starts.last! { starts.append(lf + 1) }
        }
        return starts
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
        reader = try NDJSONReader(recordCap: options.lineCap)
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.uniqueIDs)
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
        var checker = self.checker  // a local: no exclusivity check per row
        defer { self.checker = checker }
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
