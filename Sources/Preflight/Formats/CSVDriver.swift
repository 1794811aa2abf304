#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let starts = Self.cuts(run.window, from: position, to: run.planEnd, count: min(workers, self.workers.count),
                              delimiter: options.fieldDelimiter)
        return ByteChunk.chunks(starting: starts, end: run.planEnd)
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
                    let tail = try workers[0].process(bytes, from: end, to: max(end, run.planEnd), dataEnd: run.count,
                                                      isFinal: true)
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
        try run.beginTooLargeRow(at: start)
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

    /// Chunk starts for `count` chunks over `start..<end` (a record boundary): each cut goes after
    /// the first line break at or after its nominal position that ends a record. Records are
    /// followed as the reader will read them (`FieldWalker`), so a stray quote (`12" pizza`) does
    /// not throw the cuts off as counting quotes would; where a cut is still wrong, `settle`
    /// notices that a chunk did not end where the next one starts and reads it again.
    static func cuts(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int,
                     delimiter: UInt8) -> [Int] {
        var starts = [start]
        guard count > 1, end > start, let base = bytes.baseAddress else { return starts }
        let size = (end - start) / count
        var walker = FieldWalker(base: base, end: end, delimiter: delimiter, position: start)
        for index in 1..<count {
            let nominal = start + index * size
            guard nominal > starts.last!, nominal < end, let cut = walker.recordStart(atOrAfter: nominal) else { break }
            if cut > starts.last!, cut < end { starts.append(cut) }
        }
        return starts
    }

    /// Walks records from a record boundary with the reader's rules, jumping from quote to line
    /// break with memchr: a quote opens a quoted field only at a field's start; a quote elsewhere,
    /// or text after a closing quote, is a quote error, after which reading resumes at the next line.
    struct FieldWalker {
        let base: UnsafeRawPointer
        let end: Int
        let delimiter: UInt8
        /// A record boundary (the start of a line outside quotes).
        var position: Int
        /// The first quote at or after `position` (or `end`), kept so that lines without quotes
        /// do not search for one again each.
        private var nextQuote = -1

        init(base: UnsafeRawPointer, end: Int, delimiter: UInt8, position: Int) {
            self.base = base
            self.end = end
            self.delimiter = delimiter
            self.position = position
        }

        private func byte(_ index: Int) -> UInt8 { base.load(fromByteOffset: index, as: UInt8.self) }

        private func next(_ target: UInt8, from index: Int) -> Int? {
            guard index < end, let found = memchr(base + index, Int32(target), end - index) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }

        /// The first record boundary at or after `target`, or nil when the data ends first.
        mutating func recordStart(atOrAfter target: Int) -> Int? {
            while position < end {
                // The current line, from a record boundary: its next quote and line break.
                guard let lf = next(Bytes.lf, from: position) else { return nil }
                if nextQuote < position { nextQuote = next(Bytes.quote, from: position) ?? end }
                let quote = nextQuote
                if quote > lf {
                    position = lf + 1  // a line without quotes is a whole record
                } else if let after = quotedRecordEnd(firstQuote: quote, lineEnd: lf) {
                    position = after
                } else {
                    return nil
                }
                if position >= target, position < end { return position }
            }
            return nil
        }

        /// The record that holds a quote at `firstQuote` (before its line's end `lineEnd`): where
        /// the next record starts, or nil when the data ends inside it.
        private func quotedRecordEnd(firstQuote: Int, lineEnd: Int) -> Int? {
            var quote = firstQuote
            var lf = lineEnd
            while true {
                // A quote opens a field only right after a delimiter or at the line's start.
                let atFieldStart = quote == position || byte(quote - 1) == delimiter || byte(quote - 1) == Bytes.lf
                guard atFieldStart else { return lf + 1 }  // a stray quote: the reader goes on after this line
                // Find the closing quote ("" is an escaped one).
                var close = quote + 1
                while true {
                    guard let found = next(Bytes.quote, from: close) else { return nil }
                    if found + 1 < end, byte(found + 1) == Bytes.quote {
                        close = found + 2
                        continue
                    }
                    close = found
                    break
                }
                guard close + 1 < end else { return nil }
                let following = byte(close + 1)
                if close > lf {
                    // The quoted field ran over line breaks: this record's line is now the closing quote's.
                    guard let newLF = next(Bytes.lf, from: close) else { return nil }
                    lf = newLF
                }
                if following != delimiter, following != Bytes.lf, following != Bytes.cr {
                    return lf + 1  // text after a closing quote: a quote error, resume after the line
                }
                guard let nextQuote = next(Bytes.quote, from: close + 1), nextQuote < lf else { return lf + 1 }
                quote = nextQuote
            }
        }
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
        reader = try CSVReader(delimiter: options.fieldDelimiter, recordCap: options.lineCap, engine: options.csvEngine)
        checker = RowChecker(schema: options.schema, checksUniqueIDs: options.uniqueIDs)
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
        // A local copy: the class's stored property would cost an exclusivity check per row.
        var checker = self.checker
        defer { self.checker = checker }
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
