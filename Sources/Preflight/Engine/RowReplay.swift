/// A run with observers under a memory limit reads the input twice when it must. Observers need
/// each row's duplicate verdict as the row goes by, but an id past the in-memory table only gets
/// its verdict at the end. So the first reading hands rows over until the first such row (the
/// *replay point*), then holds them back while it goes on counting; it records the duplicate
/// verdict of every id from that row on (found in memory as rows merge, or settled at the end).
/// The second reading starts at the replay point's byte, checks the rows again and hands them over,
/// taking each id's verdict from the record instead of a table: the observers get exactly the
/// calls of an in-memory run, in memory bounded by the windows. A file (or bytes in memory) is
/// read again from the point; standard input and async chunks are copied to a scratch file from
/// the point as they are read (with the CSV header in front), and that copy is read again.
struct ReplayPoint {
    /// The first held-back row, and the line it starts on.
    var row: Int
    var line: Int
    /// Its first byte in the (decompressed) input.
    var offset: Int
}

/// The duplicate verdicts of the rows from the replay point on, as records of 24 bytes:
/// `row i64, firstRow i64, order i32, set u32`. Those found in memory are written in
/// row order as chunks merge, those settled at the end in (row, order) order by the settling.
final class ReplayVerdicts {
    private let live: SpillFile
    private let late: SpillFile
    static let recordSize = 24

    init(folder: TemporaryFolder) throws(PreflightError) {
        live = SpillFile(descriptor: try folder.createFile(), folder: folder)
        late = SpillFile(descriptor: try folder.createFile(), folder: folder)
    }

    /// A duplicate found in memory, in row order.
    func recordLive(row: Int, order: Int, set: Int, firstRow: Int) throws(PreflightError) {
        try Self.write(row: row, order: order, set: set, firstRow: firstRow, to: live)
    }

    /// A duplicate settled at the end, in (row, order) order.
    func recordLate(row: Int, order: Int, set: Int, firstRow: Int) throws(PreflightError) {
        try Self.write(row: row, order: order, set: set, firstRow: firstRow, to: late)
    }

    static func write(row: Int, order: Int, set: Int, firstRow: Int, to file: SpillFile) throws(PreflightError) {
        // Encoded in place in the file's buffer.
        encode(row: row, order: order, set: set, firstRow: firstRow, at: try file.reserve(Self.recordSize))
    }

    /// Writes a verdict's record (`recordSize` bytes) at `at`.
    static func encode(row: Int, order: Int, set: Int, firstRow: Int, at: UnsafeMutableRawPointer) {
        at.storeBytes(of: Int64(row).littleEndian, toByteOffset: 0, as: Int64.self)
        at.storeBytes(of: Int64(firstRow).littleEndian, toByteOffset: 8, as: Int64.self)
        at.storeBytes(of: Int32(truncatingIfNeeded: order).littleEndian, toByteOffset: 16, as: Int32.self)
        at.storeBytes(of: UInt32(truncatingIfNeeded: set).littleEndian, toByteOffset: 20, as: UInt32.self)
    }

    /// Reads the verdicts back, both records merged in (row, order, set) order.
    func reader() throws(PreflightError) -> VerdictReader {
        try VerdictReader([Self.cursor(live), Self.cursor(late)])
    }

    /// Reads a file of verdict records back.
    static func cursor(_ file: SpillFile) throws(PreflightError) -> SpillCursor {
        try SpillCursor(file, headerSize: recordSize, bufferSize: 1 << 16) { _ in recordSize }
    }
}

/// Duplicate verdicts for the merge, as the registry would have found them: for each chunk, its
/// ids that repeat an earlier row's. They come from records sorted by (row, order, set) — a run's
/// second reading (those found in memory and those settled at the end), or the buckets of a
/// sharded run's duplicate check (`IDExchange`) — read through a heap on their heads.
final class VerdictReader {
    struct Verdict {
        var row: Int
        var order: Int
        var set: Int
        var firstRow: Int

        var key: (Int, Int, Int) { (row, order, set) }
    }

    private let cursors: [SpillCursor]
    /// Each cursor's current verdict (nil at its end), and the cursors with one, by their keys.
    private var heads: [Verdict?]
    private var heap = CursorHeap()
    /// The verdicts of the row being looked at.
    private var rowVerdicts: [Verdict] = []
    private var loadedRow = -1

    /// `cursors` read records of `ReplayVerdicts.recordSize` bytes, each in (row, order, set) order.
    init(_ cursors: [SpillCursor]) throws(PreflightError) {
        self.cursors = cursors
        heads = Array(repeating: nil, count: cursors.count)
        for index in cursors.indices { try push(index) }
    }

    private static func read(_ cursor: SpillCursor) throws(PreflightError) -> Verdict? {
        guard let record = try cursor.advance() else { return nil }
        return decode(record)
    }

    /// A record of `ReplayVerdicts.recordSize` bytes: `row i64, firstRow i64, order i32, set u32`.
    static func decode(_ record: UnsafeRawBufferPointer) -> Verdict {
        Verdict(row: Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 0, as: Int64.self))),
                order: Int(Int32(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: Int32.self))),
                set: Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 20, as: UInt32.self))),
                firstRow: Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))))
    }

    /// The chunk's duplicates (in entry order, as the registry gives them); its rows are numbered
    /// from `firstRow`. Chunks come in row order.
    func found(in chunk: ChunkResult, firstRow: Int) throws(PreflightError) -> ShardedIDRegistry.Found {
        var found = ShardedIDRegistry.Found()
        for (index, entry) in chunk.ids.entries.enumerated() {
            let row = firstRow + Int(entry.row)
            if row != loadedRow { try load(row) }
            if let verdict = rowVerdicts.first(where: { $0.order == Int(entry.order) && $0.set == Int(entry.set) }) {
                found.duplicates.append(.init(entry: index, firstRow: verdict.firstRow))
            }
        }
        return found
    }

    /// Takes the verdicts of `row` (those of earlier rows are passed over).
    private func load(_ row: Int) throws(PreflightError) {
        loadedRow = row
        rowVerdicts.removeAll(keepingCapacity: true)
        while let top = heap.first, top.key.0 <= row {
            _ = heap.popFirst()
            if let verdict = heads[top.cursor], verdict.row == row { rowVerdicts.append(verdict) }
            try push(top.cursor)
        }
    }

    /// Reads the cursor's next verdict into the heap (a cursor at its end drops out).
    private func push(_ index: Int) throws(PreflightError) {
        heads[index] = try Self.read(cursors[index])
        if let verdict = heads[index] { heap.push(key: verdict.key, cursor: index) }
    }
}
