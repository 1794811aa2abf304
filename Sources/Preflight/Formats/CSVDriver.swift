/// CSV for the window loop: the header first, then chunks cut at record boundaries by quote
/// parity, each read by its own worker; a cut that a malformed quote misled is read again; a
/// record longer than the window is skipped by quote parity.
struct CSVDriver: FormatDriver {
    typealias Chunk = ByteChunk

    let options: ValidationOptions
    let control: RunControl
    private var workers: [CSVChunkWorker] = []

    init(options: ValidationOptions, control: RunControl) {
        self.options = options
        self.control = control
    }

    mutating func start(at position: Int, in run: RunContext) throws(PreflightError) -> Int? {
        guard let (header, dataStart) = try CSVHeader.read(from: position, in: run) else { return nil }
        let options = self.options, control = self.control
        workers = try (0..<options.effectiveThreads).map { (_: Int) throws(PreflightError) in
            try CSVChunkWorker(options: options, header: header, control: control)
        }
        return dataStart
    }

    func plan(from position: Int, workers: Int, in run: RunContext) -> [Chunk] {
        let starts = Self.cuts(run.window, from: position, to: run.count, count: min(workers, self.workers.count))
        return ByteChunk.chunks(starting: starts, end: run.count)
    }

    func check(_ chunk: Chunk, worker: Int, in run: RunContext) throws(PreflightError) -> ChunkResult {
        try workers[worker].process(run.window, from: chunk.start, to: chunk.end, dataEnd: run.count,
                                    isFinal: run.isFinal && chunk.isLast)
    }

    func settle(_ checked: [ChunkResult], chunks: [Chunk], from position: Int, stopping: Bool,
                in run: RunContext) throws(PreflightError) -> Settled {
        if stopping { return Settled(results: Array(checked.prefix(1)), next: .finished) }
        let bytes = run.window
        var end = position
        var accepted: [ChunkResult] = []
        for (index, chunk) in chunks.enumerated() {
            var result = checked[index]
            if chunk.start != end {
                // A malformed quote misled the cut: read this chunk again from where the last one ended.
                result = try workers[0].process(bytes, from: end, to: max(end, chunk.end), dataEnd: run.count,
                                                isFinal: run.isFinal && chunk.isLast)
            }
            accepted.append(result)
            end = result.end
            if result.end < chunk.end {
                // A record runs on past the window's data: the chunks after this one are void.
                if run.isFinal {
                    let tail = try workers[0].process(bytes, from: end, to: run.count, dataEnd: run.count, isFinal: true)
                    accepted.append(tail)
                    end = tail.end
                }
                break
            }
        }
        return Settled(results: accepted, next: run.isFinal ? .finished : .resume(end))
    }

    func recycle(_ results: [ChunkResult]) {
        for (worker, result) in zip(workers, results) { worker.recycle(result) }
    }

    /// A record longer than the whole window (so longer than the cap): skips it by quote parity,
    /// window after window, and reports it as `record_too_large`. Returns where reading goes on.
    func skipOversized(from start: Int, in run: RunContext) throws(PreflightError) -> Int? {
        try run.beginTooLargeRow()
        var lines = 0
        var lineEndings = LineEndings()
        var inQuotes = false
        var position = start
        var pieceStart = start  // the first byte of the row in this window
        var previous: UInt8 = 0  // the byte before `position`, when it is in an earlier window
        while true {
            let bytes = run.window
            let end = run.count
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
                    try run.endTooLargeRow(bytesFrom: pieceStart, to: position, lines: lines, lineEndings: lineEndings)
                    return position
                }
                nextLF = Bytes.nextLF(bytes, from: position, to: end) ?? end
            }
            if end > 0 { previous = bytes[end - 1] }
            try run.passRowBytes(from: pieceStart, to: position)
            if run.isFinal {
                try run.endTooLargeRow(bytesFrom: position, to: position, lines: lines, lineEndings: lineEndings)
                return position
            }
            position = try run.nextWindow(keepingFrom: position)
            pieceStart = position
        }
    }

    /// Chunk starts for `count` chunks over `start..<end`: a cut goes after the first line break
    /// outside quotes at or after the nominal position, quote parity being counted from `start` (a
    /// record boundary). Parity is exact for well-formed quoting; where a malformed quote misleads
    /// it, `settle` notices that a chunk did not end where the next one starts.
    static func cuts(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int) -> [Int] {
        var starts = [start]
        guard count > 1, end > start else { return starts }
        let size = (end - start) / count
        var parityStart = start
        var parity = 0
        for index in 1..<count {
            let nominal = start + index * size
            guard nominal > starts.last!, nominal < end else { continue }
            parity ^= Bytes.countQuotes(bytes, from: parityStart, to: nominal) & 1
            parityStart = nominal
            guard let cut = firstRecordStart(bytes, from: nominal, to: end, parity: parity) else { break }
            if cut > starts.last!, cut < end {
                starts.append(cut)
                parity = 0
                parityStart = cut
            }
        }
        return starts
    }

    /// Just after the first LF at or after `position` where the quote parity (starting at
    /// `parity`) is even.
    private static func firstRecordStart(_ bytes: UnsafeRawBufferPointer, from position: Int, to end: Int,
                                         parity: Int) -> Int? {
        var inQuotes = parity == 1
        var index = position
        let base = bytes.baseAddress!
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == Bytes.quote {
                inQuotes.toggle()
            } else if byte == Bytes.lf, !inQuotes {
                return index + 1
            }
            index += 1
        }
        return nil
    }
}

/// Reads and checks CSV chunks; one per thread, reused from window to window.
final class CSVChunkWorker {
    private let reader: CSVReader
    private var checker: RowChecker
    private var storage: ChunkStorage
    private let control: RunControl

    func recycle(_ result: ChunkResult) { storage.recycle(result) }

    init(options: ValidationOptions, header: [String], control: RunControl) throws(PreflightError) {
        self.control = control
        reader = try CSVReader(delimiter: options.delimiter, recordCap: options.recordCap, engine: options.csvEngine)
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.checksUniqueIDs)
        checker.useCSVHeader(header)
        storage = ChunkStorage(options: options)
    }

    /// Reads the records that start in `start..<chunkEnd` (they may run on to `dataEnd`).
    func process(_ bytes: UnsafeRawBufferPointer, from start: Int, to chunkEnd: Int, dataEnd: Int, isFinal: Bool)
        throws(PreflightError) -> ChunkResult {
        var result = storage.take()
        reader.lineEndings = LineEndings()
        // UTF-8 once for the whole chunk: when it passes, records inside the chunk skip their own check.
        let checkedEnd = min(chunkEnd, dataEnd)
        let chunkIsUTF8 = Bytes.isValidUTF8(bytes, from: start, to: checkedEnd)
        var mark = start  // progress published up to here
        let outcome = try reader.read(bytes, from: start, to: chunkEnd, dataEnd: dataEnd, isFinal: isFinal, firstLine: 0) {
            record in
            let row = result.beginRow(line: record.line, start: record.start, next: record.next)
            checker.checkCSVRecord(record, row: row, in: bytes, knownUTF8: chunkIsUTF8 && record.end <= checkedEnd,
                                   into: &result)
            return control.keepGoing(rows: result.rows, position: record.next, mark: &mark)
        }
        control.passed(outcome.end - mark)
        result.end = outcome.end
        result.lines = outcome.lines
        result.lineEndings = reader.lineEndings
        return result
    }
}
