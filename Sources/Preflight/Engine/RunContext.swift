/// Where a reading's rows lie in its input when they are not all of it: from byte `start` (on
/// `line`) to `end` (nil: the input's end), in an input of `inputSize` bytes (nil: as read).
struct RowRange {
    var start: Int
    var line: Int
    var end: Int?
    var inputSize: Int?
}

/// One run's shared state, for the window loop and the format driver: the input's window, the
/// outcome being merged, where rows go, the stop flag. A driver moves through the input only
/// through it, so window handling (progress, stop requests, emptiness) is written once.
final class RunContext {
    let source: WindowedSource
    let options: ValidationOptions
    var outcome: RunOutcome
    let delivery: RowDelivery?
    let control: RunControl
    private let monitor: (any RunMonitor)?
    /// Whether anything but whitespace (after a BOM) has been seen.
    private var sawContent = false
    /// Whether the id registry was sized from the first window yet.
    private var sizedIDs = false
    /// A shard's run: its rows' results go to a partial result's file.
    let shard: ShardRun?
    /// How the scratch files grew with the input read (for a full disk's message).
    private var scratchGrowth: ScratchGrowth?
    /// Where the time went so far.
    var stages = StageTimes()
    /// Where this reading's rows lie when not the whole input (a wrapper's array; the rows held
    /// back for a second reading).
    let rows: RowRange?
    /// A second reading of held-back rows (see `ReplayPoint`): it only hands rows over.
    let isSecondReading: Bool
    /// A first reading that cannot read its input again copies the held-back rows' bytes here.
    private(set) var copy: SpillFile?
    /// Where the rows start in `copy` (after the CSV header), and the input offset copied up to.
    private(set) var copyRowsStart = 0
    private var copiedTo = 0

    /// `rows`: where the rows lie in `source`; `replay`: this is the second reading of the rows
    /// from the point on, with verdicts from the first reading.
    init(source: WindowedSource, options: ValidationOptions, firstDataRow: Int, delivery: RowDelivery?,
         control: RunControl, monitor: (any RunMonitor)?, rows: RowRange? = nil,
         replay: (point: ReplayPoint, verdicts: ReplayVerdicts)? = nil, shard: ShardRun? = nil) throws(PreflightError) {
        self.shard = shard
        self.source = source
        self.options = options
        self.delivery = delivery
        self.control = control
        self.monitor = monitor
        outcome = RunOutcome(options: options, firstDataRow: firstDataRow, delivery: delivery)
        self.rows = rows
        isSecondReading = replay != nil
        if let end = rows?.end { source.limit(to: end) }
        if let replay { try outcome.merger.replay(from: replay.point, verdicts: replay.verdicts) }
    }

    /// The input's size (all of it, when this reading's rows are a part).
    var inputSize: Int { rows?.inputSize ?? source.bytesRead }

    /// The replay point of this reading's held-back rows, if rows were held back.
    var replayPoint: ReplayPoint? { outcome.merger.replayPoint }

    /// The window's bytes; simdjson's padding is readable after them (`readable`).
    var window: UnsafeRawBufferPointer { source.bytes }
    var readable: Int { source.readable }
    /// Bytes in the window.
    var count: Int { source.count }
    /// Whether the window holds the input's last byte.
    var isFinal: Bool { source.atEnd }
    /// Where chunks may end: the window's end, or for a shard where its range ends (rows that
    /// start before it are read to their end).
    var planEnd: Int {
        guard let shard else { return count }
        return max(0, min(count, shard.inputRange.upperBound - windowOffset))
    }
    /// Whether anything but whitespace has been read.
    var sawContentSoFar: Bool { sawContent }
    /// Whether the window is as full as it can get (a row that does not end in it is too large).
    var isFull: Bool { source.isFull }
    /// Offset of the window's first byte in the (decompressed) input.
    var windowOffset: Int { source.bytesRead - source.count }

    /// Reads the first window; returns where the content starts (after a BOM, which is noticed).
    func begin() throws(PreflightError) -> Int {
        try refill { () throws(PreflightError) in try source.refill(keepingFrom: 0) }
        if Bytes.isGzip(source.bytes) { throw .compressed(source.name) }
        var position = 0
        if Bytes.hasBOM(source.bytes) {
            position = 3
            outcome.notices.append(bomNotice)
        }
        noteContent(from: position)
        return position
    }

    /// Moves on to the next window, keeping the bytes from `position`; returns where they now
    /// start. A stop request ends the run here.
    func nextWindow(keepingFrom position: Int) throws(PreflightError) -> Int {
        try moveWindow { () throws(PreflightError) in try source.refill(keepingFrom: position) }
    }

    /// Moves the window to start at byte `offset` of the input (forward), where the rows of this
    /// reading start; returns the position in the window (0).
    func skip(to offset: Int) throws(PreflightError) -> Int {
        if offset - windowOffset <= source.count { return try nextWindow(keepingFrom: offset - windowOffset) }
        return try moveWindow { () throws(PreflightError) in try source.skip(to: offset) }
    }

    /// Moves the window with `move` unless a stop was asked for; returns where its bytes start.
    private func moveWindow(_ move: () throws(PreflightError) -> Void) throws(PreflightError) -> Int {
        if monitor?.stopRequested == true { control.requestStop() }
        if control.isStopRequested { throw .stopped }
        try refill(by: move)
        noteContent(from: 0)
        return 0
    }

    /// Reads the rest of the input (after the header stopped the checks), so its size is known.
    func readToEnd() throws(PreflightError) {
        while !source.atEnd { _ = try nextWindow(keepingFrom: source.count) }
    }

    /// Moves the window with `move` (a refill or a skip), times it, tells the progress ticker
    /// where the window lies in the input, and copies held-back bytes of a stream.
    private func refill(by move: () throws(PreflightError) -> Void) throws(PreflightError) {
        let inputStart = source.inputBytesRead
        let started = StageTimes.now
        defer { stages.reading += StageTimes.now - started }
        try move()
        control.beginWindow(bytes: source.count, inputStart: inputStart, inputEnd: source.inputBytesRead)
        try copyHeldBytes()
    }

    /// Copies the window's bytes not copied yet, once rows are held back in an input that cannot
    /// be read again (the copy starts with the CSV header, then the first held-back row's bytes).
    private func copyHeldBytes() throws(PreflightError) {
        guard let point = replayPoint, !source.canReadAgain, !isSecondReading else { return }
        if copy == nil {
            let folder = try outcome.merger.scratchFolder()
            let file = SpillFile(descriptor: try folder.createFile(), folder: folder)
            let header = delivery?.headerBytes ?? []
            try file.write(header)
            copyRowsStart = header.count
            copiedTo = point.offset
            copy = file
        }
        let from = copiedTo - windowOffset
        guard let copy, from < source.count else { return }
        try copy.write(UnsafeRawBufferPointer(rebasing: source.bytes[from...]))
        copiedTo = windowOffset + source.count
    }


    private func noteContent(from start: Int) {
        guard !sawContent, start < source.count else { return }
        sawContent = !Bytes.isWhitespace(UnsafeRawBufferPointer(rebasing: source.bytes[start...]))
    }

    // MARK: Results

    func merge(_ results: [ChunkResult]) throws(PreflightError) {
        let started = StageTimes.now
        defer { stages.merging += StageTimes.now - started }
        if let shard {
            try shard.writer.chunks(results, windowOffset: windowOffset + shard.shift)
            return
        }
        if !sizedIDs, !isSecondReading, let size = source.inputSize, size > 0, !source.isCompressed, source.bytesRead > 0 {
            sizedIDs = true
            try outcome.merger.reserveIDs(like: results, share: Double(source.bytesRead) / Double(size))
        }
        try outcome.merger.merge(results, window: source.bytes, windowOffset: windowOffset)
        try copyHeldBytes()
        if let size = source.inputSize, !source.isCompressed, outcome.merger.existingScratchFolder != nil {
            if scratchGrowth == nil { scratchGrowth = ScratchGrowth(size: size) }
            scratchGrowth?.note(read: source.inputBytesRead, spilled: outcome.merger.spilledBytesSoFar)
        }
    }

    /// The report, with the stage times.
    func report(name: String) -> ValidationReport {
        var report = outcome.report(name: name, sizeBytes: inputSize, options: options)
        report.stages = stages
        return report
    }

    /// The run ended complete: the checks that need the whole input.
    func finish() throws(PreflightError) {
        guard !isSecondReading, shard == nil else { return }  // a second reading only hands rows over
        let started = StageTimes.now
        defer {
            stages.settlingSpilledIDs = StageTimes.now - started
            stages.spilledBytes = outcome.merger.spilledBytes
        }
        try outcome.finish(sizeBytes: inputSize, isEmpty: !sawContent, options: options)
    }

    /// `error`, with the space the run needs when it is the scratch folder's full disk.
    func explainingFullDisk(_ error: PreflightError) -> PreflightError {
        guard let folder = outcome.merger.existingScratchFolder else { return error }
        return folder.explainingFullDisk(error, growth: scratchGrowth)
    }

    /// The run was stopped: the counts so far, without the checks that need the whole input.
    func stopped() throws(PreflightError) {
        try delivery?.endRow()
        outcome.isComplete = false
    }

    /// Drops every row read so far and starts the outcome again with one file-level error at row
    /// 0 (a JSON syntax error voids the whole file). A BOM notice is kept.
    func voidRows(with kind: IssueKind) throws(PreflightError) {
        // The rows read again were valid JSON the first time: the input changed in between.
        if isSecondReading { throw .changedWhileReading(source.name) }
        var fresh = RunOutcome(options: options, firstDataRow: 1, delivery: delivery)
        fresh.notices = outcome.notices.filter { $0.code == IssueCode.bomPresent.rawValue }
        try delivery?.discardRows()
        try fresh.addFileIssue(kind, row: 0, line: 0)
        outcome = fresh
    }

    // MARK: A row longer than the window

    /// Merges and delivers a row longer than the whole window, before its end is known: it is
    /// `record_too_large`, and its bytes go to the observers as the skipping passes them.
    /// The CSV header record is `span` of the window, with `fields` names: for observers, and a
    /// shard's partial.
    func header(_ span: Range<Int>, fields: Int) throws(PreflightError) {
        try delivery?.header(UnsafeRawBufferPointer(rebasing: source.bytes[span]))
        shard?.header = (windowOffset + span.lowerBound)..<(windowOffset + span.upperBound)
        shard?.headerFields = fields
    }

    /// `position`: where it starts in the window.
    func beginTooLargeRow(at position: Int) throws(PreflightError) {
        shard?.tooLargeRowStart = windowOffset + position + (shard?.shift ?? 0)
        var result = ChunkResult(maxErrors: options.maxErrors, tracksRows: false)
        let row = result.beginRow(line: 0, start: 0, next: 0)
        result.log.add(.recordTooLarge, row: row, line: 0)
        result.log.countInvalidRow()
        if let shard { return try shard.writer.chunks([result], windowOffset: windowOffset + shard.shift) }
        try outcome.merger.merge([result], window: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Bytes `start..<end` of the window belong to the too-large row being skipped.
    func passRowBytes(from start: Int, to end: Int) throws(PreflightError) {
        guard let delivery, end > start else { return }
        try delivery.rowBytes(UnsafeRawBufferPointer(rebasing: source.bytes[start..<end]))
    }

    /// The too-large row ends: its last bytes, then its lines (now known) into the numbering.
    func endTooLargeRow(bytesFrom start: Int, to end: Int, lines: Int, lineEndings: LineEndings) throws(PreflightError) {
        try passRowBytes(from: start, to: end)
        try delivery?.endRow()
        if let shard {
            return try shard.writer.advance(lines: lines, lineEndings: lineEndings,
                                            bytes: shard.tooLargeRowStart..<(windowOffset + end + shard.shift))
        }
        outcome.merger.advance(lines: lines, lineEndings: lineEndings)
    }
}
