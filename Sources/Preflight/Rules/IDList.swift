/// The ids a chunk's rows carry, in row order, kept for the merge that finds duplicates across
/// chunks, and the values of the schema's `unique` columns the same way (each column its own
/// set). Bytes are copied into one arena (the chunk's input may be gone by then).
struct IDList {
    /// 32 bytes per value: rows, lines and offsets are counted within the chunk.
    struct Entry {
        var hash: UInt64
        var offset: UInt32
        var length: UInt32
        var row: Int32
        var line: Int32
        var order: Int32
        var rowHasErrors: Bool
        /// 0: the id; k: the k-th `unique` column (`CompiledSchema.uniqueColumns`).
        var set: UInt8
    }

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    mutating func append(_ id: UnsafeRawBufferPointer, row: Int, line: Int, order: Int, rowHasErrors: Bool,
                         set: Int = 0) {
        append(id, hash: IDRegistry.hash(id), row: row, line: line, order: order, rowHasErrors: rowHasErrors, set: set)
    }

    /// `append` with the id's hash known (a partial result's file records it).
    mutating func append(_ id: UnsafeRawBufferPointer, hash: UInt64, row: Int, line: Int, order: Int,
                         rowHasErrors: Bool, set: Int) {
        entries.append(Entry(hash: hash, offset: UInt32(truncatingIfNeeded: arena.count),
                             length: UInt32(truncatingIfNeeded: id.count), row: Int32(truncatingIfNeeded: row),
                             line: Int32(truncatingIfNeeded: line), order: Int32(truncatingIfNeeded: order),
                             rowHasErrors: rowHasErrors, set: UInt8(truncatingIfNeeded: set)))
        arena.append(contentsOf: id)
    }

    /// Bytes of all ids held.
    var byteCount: Int { arena.count }

    /// Empties the list, keeping its storage for the next chunk.
    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    /// The bytes of id `index`, for the duration of `body`.
    func withID<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let entry = entries[index]
        let start = Int(entry.offset)
        return arena.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + Int(entry.length))])) }
    }
}

/// The run's id registry, split by hash into shards that register in parallel: each shard sees
/// its ids in row order, so the first row of every id is the same whatever the thread count.
///
/// With a memory budget, a shard whose tables would outgrow its share stops taking new ids: an
/// id it does not know is then *deferred* — written to the out-of-core check (`IDSpill`) by the
/// merge and settled at the end — while an id it knows is still a duplicate at once. Both answers
/// are exact, so the report does not depend on where the budget ran out.
final class ShardedIDRegistry {
    /// The id's shards, then each `unique` column's (`sets` × `shardCount`).
    private var shards: [IDRegistry]
    let shardCount: Int
    /// Bytes each shard's tables (all sets) may hold; nil: no limit.
    private let shardBudget: Int?
    /// Shards that reached their budget: they take no new ids (one flag per shard, each written
    /// only by its shard's thread).
    private let full: UnsafeMutableBufferPointer<Bool>
    /// With the id's set alone, a full shard writes the ids it defers to a spill of its own as it
    /// registers them, in parallel with the other shards (a row then has one id, so "its row is
    /// invalid already" is its own errors, known here). With `unique` columns too, a row's ids
    /// fall in several shards, and the merge writes the deferred ids (`Found.deferred`) instead.
    let spillsInShards: Bool
    /// Each shard's spill (written only by its shard's thread), made when it first defers.
    private let spills: UnsafeMutableBufferPointer<IDSpill?>
    private let folder: ScratchFolder?

    /// `sets`: the id and the `unique` columns; `budget`: bytes for all the tables (nil: none);
    /// `folder`: where deferred ids go (the shards write them themselves when they can).
    init(shards: Int, sets: Int = 1, budget: Int? = nil, folder: ScratchFolder? = nil) {
        let shardCount = max(1, shards)
        self.shardCount = shardCount
        shardBudget = budget.map { max($0 / shardCount, 256 << 10) }
        full = .allocate(capacity: shardCount)
        full.initialize(repeating: false)
        spills = .allocate(capacity: shardCount)
        spills.initialize(repeating: nil)
        self.folder = folder
        // Up to four shards: each spill holds 64 open files and their buffers while it is written.
        spillsInShards = sets == 1 && budget != nil && folder != nil && shardCount <= 4
        // The unique columns' tables start small: only the id's are sized from the input.
        self.shards = (0..<(shardCount * max(1, sets))).map { index in
            index < shardCount ? IDRegistry() : IDRegistry(slots: 1 << 10)
        }
    }

    deinit {
        full.deallocate()
        spills.deinitialize()
        spills.deallocate()
    }

    /// Bytes the shards' spills were given so far (read between windows, when no shard writes).
    var spilledBytesSoFar: Int {
        (0..<shardCount).reduce(0) { $0 + (spills[$1]?.byteCount ?? 0) }
    }

    /// The shards' spills, handed over to be settled (the shards keep none).
    func takeSpills() -> [IDSpill] {
        var taken: [IDSpill] = []
        for shard in 0..<shardCount {
            if let spill = spills[shard] { taken.append(spill) }
            spills[shard] = nil
        }
        return taken
    }

    /// An id seen before: the entry in its chunk's list, and the row that registered it first.
    struct Duplicate {
        var entry: Int
        var firstRow: Int
    }

    /// What a chunk's ids came to: duplicates found, and entries deferred to the out-of-core check.
    struct Found {
        var duplicates: [Duplicate] = []
        var deferred: [Int] = []
    }

    /// Whether any shard stopped taking ids.
    var isOverBudget: Bool { full.contains(true) }

    /// Drops the tables (once every id has had its answer): their memory goes back before the
    /// out-of-core check runs.
    func release() {
        shards = shards.map { _ in IDRegistry(slots: 16) }
    }

    /// Slots in the id's shards' tables.
    var slotCapacity: Int { shards.prefix(shardCount).reduce(0) { $0 + $1.slotCapacity } }

    /// Makes room, in shard `shard`, for its part of `expected` ids of `averageLength` bytes in
    /// all. Shards may be sized in parallel (sizing faults the table's memory in).
    func reserve(_ expected: Int, averageLength: Int, shard: Int) {
        let perShard = expected / shardCount + expected / (8 * shardCount) + 1024
        shards[shard].reserve(perShard, averageLength: averageLength, limit: shardBudget ?? .max)
    }

    /// Whether shard `shard` may register one more id of `length` bytes in `registry` within its
    /// budget; once it may not, it takes no new id again.
    private func mayRegister(length: Int, in registry: IDRegistry, shard: Int) -> Bool {
        guard let budget = shardBudget else { return true }
        if full[shard] { return false }
        guard let after = registry.memoryBytesAfterGrowth(registering: length) else { return true }
        var total = after - registry.memoryBytes
        for set in 0..<(shards.count / shardCount) { total += shards[set * shardCount + shard].memoryBytes }
        if total <= budget { return true }
        full[shard] = true
        return false
    }

    /// Registers, in shard `shard`, the ids of consecutive chunks (first rows `firstRows`, first
    /// lines `firstLines`) whose hash falls in it. Returns, per chunk, the duplicates found and the
    /// ids deferred (written to the shard's spill already when `spillsInShards`). Shards may run
    /// in parallel (each touches only its own tables, `full` flag and spill).
    func register(_ chunks: [ChunkResult], firstRows: [Int], firstLines: [Int], shard: Int)
        throws(PreflightError) -> [Found] {
        let shardCount = self.shardCount
        let shards = self.shards
        let idShard = shards[shard]  // the id's table: nearly every entry's
        let batch = 16
        var failure: PreflightError?
        let result = chunks.enumerated().map { index, chunk in
            var found = Found()
            chunk.ids.arena.withUnsafeBytes { arena in
                chunk.ids.entries.withUnsafeBufferPointer { entries in
                    var batchStart = 0
                    while batchStart < entries.count {
                        let batchEnd = min(batchStart + batch, entries.count)
                        // Touch the batch's slots first (this shard's ids only): their cache misses overlap.
                        for entry in entries[batchStart..<batchEnd]
                        where shardCount == 1 || Int(entry.hash % UInt64(shardCount)) == shard {
                            (entry.set == 0 ? idShard : shards[Int(entry.set) * shardCount + shard]).touch(hash: entry.hash)
                        }
                        for entryIndex in batchStart..<batchEnd {
                            let entry = entries[entryIndex]
                            guard shardCount == 1 || Int(entry.hash % UInt64(shardCount)) == shard else { continue }
                            let start = Int(entry.offset)
                            let id = UnsafeRawBufferPointer(rebasing: arena[start..<(start + Int(entry.length))])
                            let registry = entry.set == 0 ? idShard : shards[Int(entry.set) * shardCount + shard]
                            if shardBudget != nil, !mayRegister(length: id.count, in: registry, shard: shard) {
                                // Full: a known id is a duplicate now, an unknown one is settled later.
                                if let first = registry.firstRow(of: id, hash: entry.hash) {
                                    found.duplicates.append(Duplicate(entry: entryIndex, firstRow: first))
                                } else {
                                    found.deferred.append(entryIndex)
                                    if spillsInShards, failure == nil {
                                        do throws(PreflightError) {
                                            try spill(shard).append(
                                                id, hash: entry.hash, row: firstRows[index] + Int(entry.row),
                                                line: firstLines[index] + Int(entry.line), order: Int(entry.order),
                                                set: 0, rowHasErrors: entry.rowHasErrors)
                                        } catch {
                                            failure = error
                                        }
                                    }
                                }
                            } else if let first = registry.register(id, hash: entry.hash,
                                                                    row: firstRows[index] + Int(entry.row)) {
                                found.duplicates.append(Duplicate(entry: entryIndex, firstRow: first))
                            }
                        }
                        batchStart = batchEnd
                    }
                }
            }
            return found
        }
        if let failure { throw failure }
        return result
    }

    /// Shard `shard`'s spill, made on first use.
    private func spill(_ shard: Int) throws(PreflightError) -> IDSpill {
        if let made = spills[shard] { return made }
        let made = try IDSpill(folder: folder!.get())
        spills[shard] = made
        return made
    }

    /// The shards' findings joined per chunk, in entry order.
    static func combine(_ found: [[Found]], chunks: Int) -> [Found] {
        if found.count == 1 { return found[0] }
        return (0..<chunks).map { index in
            Found(duplicates: found.flatMap { $0[index].duplicates }.sorted { $0.entry < $1.entry },
                  deferred: found.flatMap { $0[index].deferred }.sorted())
        }
    }
}
