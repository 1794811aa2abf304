/// What one worker found in one chunk, numbered from the chunk's start (rows and lines from 0),
/// to be merged in order with the chunks before it.
struct ChunkResult {
    var log: IssueLog
    var ids = IDList()
    var unknownColumns = UnknownColumns()
    /// Data rows in the chunk.
    var rows = 0
    /// Line (from the chunk's start) where each row starts; kept to place `too_many_rows`.
    var rowLines: [Int32] = []
    /// Where each row's bytes are in the window, kept only when rows go to observers.
    var spans: [RowSpan] = []
    let tracksRows: Bool
    var lineEndings = LineEndings()
    /// Where reading stopped: the next chunk must start here.
    var end = 0
    /// Line breaks consumed up to `end`.
    var lines = 0

    /// A row's raw bytes: `start..<next`, its terminator included (`next` is where the next row
    /// or blank line begins). A row longer than the window has no span: its bytes come separately.
    struct RowSpan {
        var start: Int
        var next: Int
    }

    /// `tracksRows`: keep every error (not just the first `maxErrors`) and every row's span, for observers.
    init(maxErrors: Int, tracksRows: Bool = false) {
        log = IssueLog(maxErrors: tracksRows ? 0 : maxErrors)
        self.tracksRows = tracksRows
    }

    /// Empties the result for the next chunk, keeping the storage of its big lists.
    mutating func reset() {
        log = IssueLog(maxErrors: log.maxErrors)
        ids.removeAll()
        unknownColumns = UnknownColumns()
        rows = 0
        rowLines.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        lineEndings = LineEndings()
        end = 0
        lines = 0
    }

    /// Counts a row starting on `line` (from the chunk's start) whose bytes are `start..<next`;
    /// returns its index.
    mutating func beginRow(line: Int, start: Int, next: Int) -> Int {
        rowLines.append(Int32(truncatingIfNeeded: line))
        if tracksRows { spans.append(RowSpan(start: start, next: next)) }
        rows += 1
        return rows - 1
    }
}

/// A worker's chunk storage: the result of a merged chunk comes back and is emptied for the
/// next one, so that its big lists are not allocated anew per window.
struct ChunkStorage {
    let maxErrors: Int
    let tracksRows: Bool
    private var spare: ChunkResult?

    init(options: ValidationOptions) {
        maxErrors = options.maxErrors
        tracksRows = options.tracksRows
    }

    /// An empty result, on the storage of the last one recycled when there is one.
    mutating func take() -> ChunkResult {
        var result = spare ?? ChunkResult(maxErrors: maxErrors, tracksRows: tracksRows)
        spare = nil
        result.reset()
        return result
    }

    mutating func recycle(_ result: ChunkResult) { spare = result }
}

/// Joins chunk results in input order into the run's numbering: rows, lines, duplicate ids
/// (the lowest row holding an id first), `too_many_rows`, notices. Whatever the chunking, the
/// outcome is the same, so reports do not depend on the thread count.
struct ChunkMerger {
    var log: IssueLog
    var unknownColumns = UnknownColumns()
    var lineEndings = LineEndings()
    /// Data rows merged so far.
    private(set) var dataRows = 0
    private let ids: ShardedIDRegistry
    /// The line where the next chunk starts.
    var nextLine: Int
    private let maxRows: Int
    private let firstDataRow: Int
    private let idField: String
    /// The `unique` columns' names, by set (set k is `uniqueFields[k - 1]`).
    private let uniqueFields: [String]
    /// Where rows go besides the counts, when the run has observers.
    var delivery: RowDelivery?
    /// Ids past the registry's budget, settled at the end (made when the first one comes).
    private var spill: IDSpill?
    /// The registry's budget (nil: none), and where the out-of-core check keeps its files.
    private let idBudget: Int?
    /// A chunk's errors in global numbering, every one, for the delivery (reused).
    private var chunkIssues: [ValidationIssue] = []
    /// The private scratch folder of the out-of-core check (made when first needed).
    private let folder: ScratchFolder
    /// With a delivery: the first row whose verdict had to wait for the end (rows from there on
    /// are held back and read again, see `ReplayPoint`), and the verdicts recorded from it on.
    private(set) var replayPoint: ReplayPoint?
    private(set) var replayVerdicts: ReplayVerdicts?
    /// The second reading: ids get their verdicts from the first reading's record.
    private var verdictReader: VerdictReader?

    /// `idBudget`: bytes the id tables may hold before ids go to the out-of-core check in
    /// `temporaryDirectory` (nil: no limit).
    init(log: IssueLog, firstDataRow: Int, firstLine: Int, maxRows: Int, idField: String, uniqueFields: [String] = [],
         idShards: Int = 1, idBudget: Int? = nil, temporaryDirectory: String? = nil) {
        self.log = log
        folder = ScratchFolder(parent: temporaryDirectory)
        self.ids = ShardedIDRegistry(shards: idShards, sets: 1 + uniqueFields.count, budget: idBudget, folder: folder)
        self.idBudget = idBudget
        self.uniqueFields = uniqueFields
        self.firstDataRow = firstDataRow
        self.nextLine = firstLine
        self.maxRows = maxRows
        self.idField = idField
    }

    /// The scratch folder, made on first use.
    func scratchFolder() throws(PreflightError) -> TemporaryFolder {
        try folder.get()
    }

    /// The scratch folder if the run has made it.
    var existingScratchFolder: TemporaryFolder? { folder.existing }

    /// The second reading of a run with observers: rows are numbered from `point`, and ids take
    /// their verdicts from `verdicts` (no table).
    mutating func replay(from point: ReplayPoint, verdicts: ReplayVerdicts) throws(PreflightError) {
        start(atRow: point.row, line: point.line)
        takeVerdicts(try verdicts.reader())
    }

    /// The rows merged next are numbered from `row`, on lines from `line` (a part of a sharded
    /// run's rows, or a second reading).
    mutating func start(atRow row: Int, line: Int) {
        dataRows = row - firstDataRow
        nextLine = line
    }

    /// Ids take their duplicate verdicts from `reader`, known before the merge (a second reading,
    /// or a sharded run's duplicate check done elsewhere), instead of a table.
    mutating func takeVerdicts(_ reader: VerdictReader) {
        verdictReader = reader
    }

    /// Merges consecutive chunks: their ids are registered first (in parallel, by shard), then each
    /// chunk is merged in order. `window` holds the chunks' bytes (for the delivery), and starts at
    /// byte `windowOffset` of the input.
    mutating func merge(_ chunks: [ChunkResult], window: UnsafeRawBufferPointer, windowOffset: Int = 0)
        throws(PreflightError) {
        var firstRows: [Int] = [], firstLines: [Int] = []
        var rows = firstDataRow + dataRows, lines = nextLine
        for chunk in chunks {
            firstRows.append(rows)
            firstLines.append(lines)
            rows += chunk.rows
            lines += chunk.lines
        }
        let combined: [ShardedIDRegistry.Found]
        if let verdictReader {
            combined = try chunks.indices.map { (index) throws(PreflightError) in
                try verdictReader.found(in: chunks[index], firstRow: firstRows[index])
            }
        } else {
            // Ids first, each shard on its own thread; a shard sees its ids in row order.
            let ids = self.ids
            let found = try Parallel.map(ids.shardCount) { (shard) throws(PreflightError) in
                try ids.register(chunks, firstRows: firstRows, firstLines: firstLines, shard: shard)
            }
            combined = ShardedIDRegistry.combine(found, chunks: chunks.count)
        }
        for (index, (chunk, chunkFound)) in zip(chunks, combined).enumerated() {
            let lineBase = nextLine
            if delivery != nil, replayPoint == nil, let first = chunkFound.deferred.first {
                // This row's verdict waits for the end: hand rows over up to it, hold back the rest.
                let local = Int(chunk.ids.entries[first].row)
                replayPoint = ReplayPoint(row: firstRows[index] + local, line: lineBase + Int(chunk.rowLines[local]),
                                          offset: windowOffset + chunk.spans[local].start)
                replayVerdicts = try ReplayVerdicts(folder: scratchFolder())
            }
            try merge(chunk, duplicates: chunkFound.duplicates, window: window)
            if !chunkFound.deferred.isEmpty, !ids.spillsInShards {
                try spill(chunkFound.deferred, of: chunk, rowBase: firstRows[index], lineBase: lineBase,
                          duplicates: chunkFound.duplicates)
            }
        }
    }

    /// Writes a chunk's deferred ids to the out-of-core check, in row order, each marked with
    /// whether its row is invalid already (its own errors, or a duplicate found in memory), so the
    /// end counts each invalid row once.
    private mutating func spill(_ deferred: [Int], of chunk: ChunkResult, rowBase: Int, lineBase: Int,
                                duplicates: [ShardedIDRegistry.Duplicate]) throws(PreflightError) {
        if spill == nil { spill = try IDSpill(folder: scratchFolder()) }
        guard let spill else { return }
        var duplicateIndex = 0
        for entryIndex in deferred {
            let entry = chunk.ids.entries[entryIndex]
            while duplicateIndex < duplicates.count, chunk.ids.entries[duplicates[duplicateIndex].entry].row < entry.row {
                duplicateIndex += 1
            }
            let rowHasDuplicate = duplicateIndex < duplicates.count
                && chunk.ids.entries[duplicates[duplicateIndex].entry].row == entry.row
            try chunk.ids.withID(entryIndex) { id in
                Result { () throws(PreflightError) in
                    try spill.append(id, hash: entry.hash, row: rowBase + Int(entry.row),
                                     line: lineBase + Int(entry.line), order: Int(entry.order), set: Int(entry.set),
                                     rowHasErrors: entry.rowHasErrors || rowHasDuplicate)
                }
            }.get()
        }
    }

    /// Settles the ids deferred past the budget, once every row is merged: the duplicates among
    /// them are counted and listed in (row, column) order with the rest, exactly as if the table
    /// had held every id. The in-memory tables are dropped first: their memory is the check's.
    mutating func settleDeferredIDs() throws(PreflightError) {
        let spills = ids.takeSpills() + (spill.map { [$0] } ?? [])
        guard !spills.isEmpty else { return }
        self.spill = nil
        spilledBytes = spills.reduce(0) { $0 + $1.byteCount }
        ids.release()
        // Each spill on its own, with the whole budget (an id is in one shard's spill only).
        var files: [SpillFile] = []
        for spill in spills {
            files += try spill.resolveToFiles(memoryBudget: idBudget ?? 256 << 20, threads: ids.shardCount)
        }
        let late = try LateDuplicates(files)
        var lastRow = -1
        var issues: [ValidationIssue] = []
        while let record = try late.nextRecord() {
            let duplicate = IDSpill.header(of: record), firstRow = IDSpill.firstRow(of: record)
            try replayVerdicts?.recordLate(row: duplicate.row, order: duplicate.order, set: duplicate.set,
                                           firstRow: firstRow)
            let (kind, field, code) = repeated(set: duplicate.set, firstRow: firstRow)
            // Only the first `maxErrors` of them can reach the list: messages for those alone.
            let listable = log.maxErrors == 0 || issues.count < log.maxErrors
            if let issue = log.countLate(kind, row: duplicate.row, line: duplicate.line, order: duplicate.order,
                                         field: field, invalidCode: code, value: IDSpill.id(of: record),
                                         building: listable) {
                issues.append(issue)
            }
            if !duplicate.rowHasErrors, duplicate.row != lastRow { log.countInvalidRow() }
            lastRow = duplicate.row
        }
        log.listInOrder(issues)
    }

    /// How a value of set `set` (0: the id; k: the k-th `unique` column) seen first in row
    /// `firstRow` is reported: its kind, its column, and the code of a `unique` column's error.
    private func repeated(set: Int, firstRow: Int) -> (kind: IssueKind, field: String, code: String?) {
        if set == 0 { return (.duplicateID(firstRow: firstRow), idField, nil) }
        let field = uniqueFields[set - 1]
        return (.duplicateValue(firstRow: firstRow), field, "invalid_" + field)
    }

    /// Bytes the out-of-core check has been given so far (between windows).
    var spilledBytesSoFar: Int { ids.spilledBytesSoFar + (spill?.byteCount ?? 0) }

    /// Bytes the out-of-core check was given, once settled.
    private(set) var spilledBytes = 0

    /// Sizes the id registry for the whole input from the first chunks, which hold `share` (0–1]
    /// of it: growing a table of millions of ids step by step rehashes it again and again. The
    /// guess is capped (16 times the ids seen, 16 million in all): a file whose ids repeat must
    /// not get a table for ids it does not have; past the cap the table grows as it fills.
    static let reservedIDsCap = 16_000_000

    /// Slots of the id registry's tables (tests look at how it was sized).
    var idSlotCapacity: Int { ids.slotCapacity }

    /// `rows`: when the rows to come are known (a merge of shards), at most one id each is
    /// reserved for, without the guess's cap at 16 times the ids seen.
    mutating func reserveIDs(like chunks: [ChunkResult], share: Double, rows: Int? = nil) throws(PreflightError) {
        // The id's values only (set 0): the unique columns' tables grow as they fill.
        var ids = 0, bytes = 0
        for chunk in chunks {
            for entry in chunk.ids.entries where entry.set == 0 {
                ids += 1
                bytes += Int(entry.length)
            }
        }
        guard ids > 0, share > 0 else { return }
        let guess = min(Double(ids) / min(1, share), Double(rows ?? ids * 16))
        let expected = min(guess, Double(Self.reservedIDsCap))
        let registry = self.ids, averageLength = (bytes + ids - 1) / ids
        _ = try Parallel.map(registry.shardCount) { (shard) throws(PreflightError) in
            registry.reserve(Int(expected), averageLength: averageLength, shard: shard)
        }
    }

    /// Moves the line count and line endings on past a row merged before its end was known (one
    /// longer than the window).
    mutating func advance(lines: Int, lineEndings: LineEndings) {
        nextLine += lines
        self.lineEndings.add(lineEndings)
    }

    /// Merges the next chunk, with its duplicate ids as `ShardedIDRegistry` found them.
    private mutating func merge(_ chunk: ChunkResult, duplicates: [ShardedIDRegistry.Duplicate],
                                window: UnsafeRawBufferPointer) throws(PreflightError) {
        let rowBase = firstDataRow + dataRows
        let lineBase = nextLine
        var tooManyAt: Int? = nil  // local row that is the first past the limit
        if maxRows > 0, dataRows <= maxRows, dataRows + chunk.rows > maxRows { tooManyAt = maxRows - dataRows }
        log.addCounts(of: chunk.log)

        let listed = chunk.log.listed
        let collects = delivery != nil
        chunkIssues.removeAll(keepingCapacity: true)
        var issueIndex = 0
        var duplicateIndex = 0
        var lastDuplicateRow = -1  // a row with several repeated values is one invalid row
        while true {
            // The next event in (row, order): too_many_rows (order -2), a listed error, an id.
            var best = 0  // 0 none, 1 too many, 2 issue, 3 id
            var bestRow = Int.max
            var bestOrder = Int.max
            if let row = tooManyAt { best = 1; bestRow = row; bestOrder = -2 }
            if issueIndex < listed.count {
                let issue = listed[issueIndex]
                if issue.row < bestRow || (issue.row == bestRow && issue.order < bestOrder) {
                    best = 2; bestRow = issue.row; bestOrder = issue.order
                }
            }
            if duplicateIndex < duplicates.count {
                let entry = chunk.ids.entries[duplicates[duplicateIndex].entry]
                if Int(entry.row) < bestRow || (Int(entry.row) == bestRow && Int(entry.order) < bestOrder) { best = 3 }
            }
            switch best {
            case 1:
                let row = tooManyAt!
                let kind = IssueKind.tooManyRows(limit: maxRows)
                let line = lineBase + Int(chunk.rowLines[row])
                if collects {
                    chunkIssues.append(log.addReturningIssue(kind, row: rowBase + row, line: line, order: -2))
                } else {
                    log.add(kind, row: rowBase + row, line: line, order: -2)
                }
                tooManyAt = nil
            case 2:
                let issue = listed[issueIndex].shifted(rows: rowBase, lines: lineBase)
                log.list(issue)
                if collects { chunkIssues.append(issue) }
                issueIndex += 1
            case 3:
                let duplicate = duplicates[duplicateIndex]
                let entry = chunk.ids.entries[duplicate.entry]
                let row = rowBase + Int(entry.row)
                let (kind, field, code) = repeated(set: Int(entry.set), firstRow: duplicate.firstRow)
                let line = lineBase + Int(entry.line)
                if let replayVerdicts, let point = replayPoint, row >= point.row {
                    try replayVerdicts.recordLive(row: row, order: Int(entry.order), set: Int(entry.set),
                                                  firstRow: duplicate.firstRow)
                }
                chunk.ids.withID(duplicate.entry) { id in
                    if collects {
                        chunkIssues.append(log.addReturningIssue(kind, row: row, line: line, order: Int(entry.order),
                                                                 field: field, invalidCode: code, value: id))
                    } else {
                        log.add(kind, row: row, line: line, order: Int(entry.order), field: field, invalidCode: code,
                                value: id)
                    }
                }
                if !entry.rowHasErrors, row != lastDuplicateRow { log.countInvalidRow() }
                lastDuplicateRow = row
                duplicateIndex += 1
            default:
                unknownColumns.absorb(chunk.unknownColumns, rowOffset: rowBase)
                lineEndings.add(chunk.lineEndings)
                dataRows += chunk.rows
                nextLine += chunk.lines
                if let delivery {
                    try delivery.deliver(chunk, rowBase: rowBase, lineBase: lineBase, issues: chunkIssues, window: window,
                                         limit: replayPoint.map { $0.row - rowBase })
                    if replayPoint != nil { delivery.holdBack() }
                }
                return
            }
        }
    }
}
