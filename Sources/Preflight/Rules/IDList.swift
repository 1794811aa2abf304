/// The ids a chunk's rows carry, in row order, kept for the merge that finds duplicates across
/// chunks. Id bytes are copied into one arena (the chunk's input may be gone by then).
struct IDList {
    struct Entry {
        var offset: Int
        var length: Int
        var row: Int
        var line: Int
        var order: Int
        /// `IDRegistry.hash` of the id, computed by the worker so that the merge only probes.
        var hash: UInt64
        var rowHasErrors: Bool
    }

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    mutating func append(_ id: UnsafeRawBufferPointer, row: Int, line: Int, order: Int, rowHasErrors: Bool) {
        entries.append(Entry(offset: arena.count, length: id.count, row: row, line: line, order: order,
                             hash: IDRegistry.hash(id), rowHasErrors: rowHasErrors))
        arena.append(contentsOf: id)
    }

    /// The bytes of id `index`, for the duration of `body`.
    func withID<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let entry = entries[index]
        return arena.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[entry.offset..<(entry.offset + entry.length)])) }
    }
}
