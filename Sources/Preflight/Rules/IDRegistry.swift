/// The ids seen so far and the first row of each, compared byte for byte.
///
/// Open addressing over flat arrays: id bytes live in one arena, so no `String` and no
/// allocation per id (the arrays grow geometrically).
struct IDRegistry {
    private var arena: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [Int32] = []
    private var rows: [Int] = []
    private var hashes: [UInt64] = []
    /// Entry index + 1, or 0 for an empty slot. Size is a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 1024)

    var count: Int { rows.count }

    @inline(__always)
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash ^ (hash >> 29)
    }

    /// Registers the id for `row`. Returns the row that registered it first, or nil if it is new.
    mutating func register(_ id: UnsafeRawBufferPointer, row: Int) -> Int? {
        let hash = Self.hash(id)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { break }
            let index = entry - 1
            if hashes[index] == hash, Int(lengths[index]) == id.count {
                let same = arena.withUnsafeBytes { stored in
                    UnsafeRawBufferPointer(rebasing: stored[offsets[index]..<(offsets[index] + id.count)])
                        .elementsEqual(id)
                }
                if same { return rows[index] }
            }
            slot = (slot + 1) & mask
        }
        offsets.append(arena.count)
        arena.append(contentsOf: id)
        lengths.append(Int32(truncatingIfNeeded: id.count))
        rows.append(row)
        hashes.append(hash)
        slots[slot] = Int32(truncatingIfNeeded: rows.count)
        if rows.count * 2 > slots.count { grow() }
        return nil
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for index in rows.indices {
            var slot = Int(truncatingIfNeeded: hashes[index]) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(truncatingIfNeeded: index + 1)
        }
        slots = bigger
    }
}
