/// What the window loop asks of a format. The drivers (Formats/: CSV, NDJSON, JSON array) know
/// their bytes: where a window may be cut, what comes before the rows, how a row longer than
/// the window is skipped, where an error is. The loop knows none of that.
protocol FormatDriver {
    /// One worker's share of a window (a byte range, or a run of elements).
    associatedtype Chunk
    /// What checking a chunk gives (a chunk result, and for JSON perhaps a document error).
    associatedtype Checked

    /// Reads what comes before the rows (a CSV header) from `position`; returns where the rows
    /// start, or nil when nothing more is to be checked (the input is still read to its end).
    mutating func start(at position: Int, in run: RunContext) throws(PreflightError) -> Int?

    /// Cuts the window's bytes from `position` into at most `workers` chunks.
    mutating func plan(from position: Int, workers: Int, in run: RunContext) throws(PreflightError) -> [Chunk]

    /// Checks one chunk with worker `worker`'s state; runs in parallel with the other chunks.
    func check(_ chunk: Chunk, worker: Int, in run: RunContext) throws(PreflightError) -> Checked

    /// Puts a window's checked chunks in input order for the merge (repairing a misjudged cut,
    /// noticing what voids the run), and says where reading goes on. `stopping`: a stop was
    /// asked for while the workers ran; only the first chunk's rows are wanted.
    mutating func settle(_ checked: [Checked], chunks: [Chunk], from position: Int, stopping: Bool,
                         in run: RunContext) throws(PreflightError) -> Settled

    /// Skips a row longer than the whole window, which starts at `position`, reporting it as too
    /// large; returns where reading goes on, or nil when the run is over.
    mutating func skipOversized(from position: Int, in run: RunContext) throws(PreflightError) -> Int?

    /// Takes back the storage of results that have been merged.
    func recycle(_ results: [ChunkResult])

    /// Reading starts inside the input, on `line`: at a wrapper's array, or (`atElement`) at the
    /// first held-back row of a second reading.
    mutating func beginInside(line: Int, atElement: Bool)
}

extension FormatDriver {
    /// CSV and NDJSON need nothing: the merge numbers the lines.
    mutating func beginInside(line: Int, atElement: Bool) {}
}

/// A chunk that is a byte range of the window (CSV, NDJSON).
struct ByteChunk {
    var start: Int
    var end: Int
    /// The window's last chunk: it may hold the input's last, unterminated row.
    var isLast: Bool

    /// The chunks that start at `starts` (ascending), the last one running to `end`.
    static func chunks(starting starts: [Int], end: Int) -> [ByteChunk] {
        starts.indices.map { index in
            ByteChunk(start: starts[index], end: index + 1 < starts.count ? starts[index + 1] : end,
                      isLast: index == starts.count - 1)
        }
    }
}

/// A window's results in input order, and what comes next.
struct Settled {
    enum Next {
        /// The input (or the part worth reading) is done.
        case finished
        /// Reading goes on at this position of the window.
        case resume(Int)
    }

    var results: [ChunkResult]
    var next: Next
}

/// The one loop over windows: read a window, cut it into chunks, check them in parallel, settle
/// and merge them in order, move on. Memory stays near the window size whatever the input's size,
/// and the report does not depend on the thread count (the merge fixes the numbering).
enum WindowLoop {
    static func run<Driver: FormatDriver>(_ driver: inout Driver, in run: RunContext) throws(PreflightError) {
        do throws(PreflightError) {
            let contentStart = try run.begin()
            let rowsStart = try driver.start(at: contentStart, in: run)
            if let shard = run.shard {
                // A shard: its rows only, then no more reading.
                if var position = try shard.moveToFirstRow(from: rowsStart, in: run) {
                    try loop(&driver, from: &position, in: run)
                }
                return
            }
            if var position = rowsStart {
                if let rows = run.rows {
                    // The rows are a part of the input (a wrapper's array, held-back rows): on to them.
                    position = try run.skip(to: rows.start)
                    run.outcome.merger.nextLine = rows.line
                    driver.beginInside(line: rows.line, atElement: run.isSecondReading)
                }
                try loop(&driver, from: &position, in: run)
            }
            try run.readToEnd()
        } catch where error.isStop && run.control.isStopRequested {
            try run.stopped()
            return
        }
        try run.finish()
    }

    private static func loop<Driver: FormatDriver>(_ driver: inout Driver, from position: inout Int, in run: RunContext)
        throws(PreflightError) {
        let workers = run.options.effectiveThreads
        while true {
            if let shard = run.shard, shard.reachedEnd(position, in: run) { return }
            var started = StageTimes.now
            let chunks = try driver.plan(from: position, workers: workers, in: run)
            run.stages.planning += StageTimes.now - started
            started = StageTimes.now
            let current = driver
            let checked = try Parallel.map(chunks.count) { (index) throws(PreflightError) in
                try current.check(chunks[index], worker: index, in: run)
            }
            run.stages.checking += StageTimes.now - started
            let stopping = run.control.isStopRequested
            started = StageTimes.now
            let settled = try driver.settle(checked, chunks: chunks, from: position, stopping: stopping, in: run)
            run.stages.settling += StageTimes.now - started
            try run.merge(settled.results)
            driver.recycle(settled.results)
            // A stop that came while `settle` read a chunk again may have cut that read short:
            // the run is then incomplete, whatever `settle` said.
            if stopping || run.control.isStopRequested { throw .stopped }
            guard case .resume(var next) = settled.next else {
                run.shard?.rowsEnded(at: settled.results.last?.end ?? position, in: run)
                return
            }
            if next == position, run.isFull {
                // Not one row ended in a full window: the row at `position` is longer than it.
                guard let after = try driver.skipOversized(from: position, in: run) else {
                    run.shard?.rowsEnded(at: run.count, in: run)
                    return
                }
                next = after
            }
            position = try run.nextWindow(keepingFrom: next)
        }
    }
}
