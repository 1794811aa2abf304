/// The ids a chunk's rows carry, in row order, kept for the merge that finds duplicates across
/// chunks. Id bytes are copied into one arena (the chunk's input may be gone by then).
struct IDList {
    private(set) var arena: [UInt8] = []
    private(set) var offsets: [Int] = []
    private(set) var rows: [Int] = []
    private(set) var lines: [Int] = []
    private(set) var orders: [Int] = []
    private(set) var rowHasErrors: [Bool] = []
    /// `IDRegistry.hash` of each id, computed by the worker so the merge only probes.
    private(set) var hashes: [UInt64] = []

    var count: Int { rows.count }

    mutating func append(_ id: UnsafeRawBufferPointer, row: Int, line: Int, order: Int, rowHasErrors hasErrors: Bool) {
        offsets.append(arena.count)
        arena.append(contentsOf: id)
        hashes.append(IDRegistry.hash(id))
        rows.append(row)
        lines.append(line)
        orders.append(order)
        rowHasErrors.append(hasErrors)
    }

    /// The bytes of id `index`, for the duration of `body`.
    func withID<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let end = index + 1 < offsets.count ? offsets[index + 1] : arena.count
        return arena.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[offsets[index]..<end])) }
    }

    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        orders.removeAll(keepingCapacity: true)
        rowHasErrors.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
    }
}
