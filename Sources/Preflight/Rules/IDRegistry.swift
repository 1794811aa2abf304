#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CScan

/// The ids seen so far and the first row of each, compared byte for byte.
///
/// Open addressing over manually managed flat storage. Each id is one record in an arena (its
/// first row, 8 bytes; its length, 1–5 bytes; its bytes), and each slot packs a 24-bit tag of the
/// id's hash with the record's offset, so a probe rarely touches anything but the slot array. No
/// `String`, no allocation per id. About 30 bytes per id with its bytes: on this project's VMs
/// every fresh page costs time, so the table is kept lean.
final class IDRegistry {
    /// Tag (hash bits 40–63) << 40 | (record offset + 1); 0 is an empty slot.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount: Int
    private(set) var count = 0
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int
    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

    // The tables come from `PageMemory` (zeroed, huge pages when large): they are probed at random.
    /// `slots`: the table's first size, a power of two.
    init(slots: Int = 1 << 16) {
        precondition(slots > 0 && slots & (slots - 1) == 0)
        slotCount = slots
        arenaCapacity = max(256, slots * 2)
        self.slots = PageMemory.allocate(UInt64.self, count: slotCount)
        arena = PageMemory.allocate(UInt8.self, count: arenaCapacity)
    }

    deinit {
        PageMemory.deallocate(slots, count: slotCount)
        PageMemory.deallocate(arena, count: arenaCapacity)
    }

    /// Tests only: bits of every id hash kept (all by default). A test that clears most of them
    /// makes distinct ids collide everywhere — in the table, in the shards, in the spill's
    /// partitions — to show that equal hashes are always settled by the bytes.
    nonisolated(unsafe) static var hashMask: UInt64 = ~0

    /// A fast 64-bit hash of a byte string, 8 bytes at a time.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(count) &* 0xFF51_AFD7_ED55_8CCD)
        guard let base = bytes.baseAddress else { return hash }
        var index = 0
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = (hash ^ word) &* 0xC4CE_B9FE_1A85_EC53
            hash ^= hash >> 31
            index += 8
        }
        if index < count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                word |= UInt64(base.load(fromByteOffset: index, as: UInt8.self)) << shift
                shift += 8
                index += 1
            }
            hash = (hash ^ word) &* 0xC4CE_B9FE_1A85_EC53
        }
        hash ^= hash >> 29
        hash = hash &* 0xBF58_476D_1CE4_E5B9
        return (hash ^ (hash >> 32)) & hashMask
    }

    /// Prefetches the slot where `hash` starts probing. Doing this for a batch of ids before
    /// registering them lets the processor fetch their slots from memory in parallel, instead of
    /// waiting for one cache miss per id (the table outgrows the caches at millions of ids).
    @inline(__always)
    func touch(hash: UInt64) {
        pfscan_prefetch(slots + Self.slot(of: hash, mask: slotCount - 1))
    }

    /// Makes room for `expected` ids in all (averaging `averageLength` bytes), so that the table
    /// is not grown and rehashed again and again on a large input; within `limit` bytes in all
    /// (fewer ids then). Never shrinks.
    func reserve(_ expected: Int, averageLength: Int, limit: Int = .max) {
        var expected = expected
        let perID = 8 * 4 / 3 + Self.recordOverhead + max(1, averageLength) + 1
        if limit < .max { expected = min(expected, limit / (2 * perID)) }
        guard expected > count else { return }
        var newSlotCount = slotCount
        while expected * 4 > newSlotCount * 3 { newSlotCount *= 2 }
        if newSlotCount > slotCount { rehash(into: newSlotCount) }
        let arenaNeeded = expected * (Self.recordOverhead + max(1, averageLength))
        if arenaNeeded > arenaCapacity { growArena(arenaNeeded - arenaCount) }
    }

    /// Slots in the table (tests look at how it was sized).
    var slotCapacity: Int { slotCount }

    /// Bytes the table and its arena hold.
    var memoryBytes: Int { PageMemory.roundedSize(slotCount * 8) + PageMemory.roundedSize(arenaCapacity) }

    /// The bytes the table and arena would hold if registering one more id of `length` bytes
    /// grows them (the slots double, the arena doubles until it fits); nil when it does not (two
    /// comparisons: the common case).
    @inline(__always)
    func memoryBytesAfterGrowth(registering length: Int) -> Int? {
        let needed = Self.recordOverhead + 4 + length
        let growsSlots = (count + 1) * 4 > slotCount * 3
        let growsArena = arenaCapacity - arenaCount < needed
        guard growsSlots || growsArena else { return nil }
        var arena = arenaCapacity
        if growsArena {
            arena *= 2
            while arena - arenaCount < needed { arena *= 2 }
        }
        return PageMemory.roundedSize(growsSlots ? slotCount * 16 : slotCount * 8) + PageMemory.roundedSize(arena)
    }

    /// Where an id starts probing: hash bits from 8 up (the low bits pick the shard, the high
    /// ones make the tag).
    @inline(__always)
    private static func slot(of hash: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: hash >> 8) & mask }

    /// A record's bytes besides the id's: the row, and the length (one byte up to 127).
    private static let recordOverhead = 9

    /// The id and row of the record at `offset`.
    @inline(__always)
    private func record(at offset: Int) -> (id: UnsafeRawBufferPointer, row: Int) {
        let base = UnsafeRawPointer(arena + offset)
        let row = base.loadUnaligned(as: Int.self)
        var position = 8
        var length = 0
        var shift = 0
        while true {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            length |= Int(byte & 0x7F) << shift
            position += 1
            if byte < 0x80 { break }
            shift += 7
        }
        return (UnsafeRawBufferPointer(start: base + position, count: length), row)
    }

    /// The row that registered `id`, or nil; `hash` is `IDRegistry.hash(id)`. Only reads: a
    /// registry no longer written to may be looked up from several threads (an `enum` set).
    @inline(__always)
    func firstRow(of id: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        switch probe(id, hash: hash) {
        case .found(let row): return row
        case .empty: return nil
        }
    }

    private enum Probe {
        case found(firstRow: Int)
        /// Not there; the empty slot where it would go.
        case empty(slot: Int)
    }

    @inline(__always)
    private func probe(_ id: UnsafeRawBufferPointer, hash: UInt64) -> Probe {
        let tag = hash >> Self.offsetBits
        let mask = slotCount - 1
        var slot = Self.slot(of: hash, mask: mask)
        while true {
            let packed = slots[slot]
            if packed == 0 { return .empty(slot: slot) }
            if packed >> Self.offsetBits == tag {
                let (known, firstRow) = record(at: Int(truncatingIfNeeded: packed & Self.offsetMask) - 1)
                if known.count == id.count, id.count == 0 || memcmp(known.baseAddress!, id.baseAddress!, id.count) == 0 {
                    return .found(firstRow: firstRow)
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Registers the id for `row`. Returns the row that registered it first, or nil if it is new.
    /// `hash` is `IDRegistry.hash(id)` (callers may compute it on another thread).
    func register(_ id: UnsafeRawBufferPointer, hash: UInt64, row: Int) -> Int? {
        let slot: Int
        switch probe(id, hash: hash) {
        case .found(let firstRow): return firstRow
        case .empty(let empty): slot = empty
        }
        let tag = hash >> Self.offsetBits
        let needed = Self.recordOverhead + 4 + id.count
        if arenaCapacity - arenaCount < needed { growArena(needed) }
        let offset = arenaCount
        UnsafeMutableRawPointer(arena + offset).storeBytes(of: row, as: Int.self)  // unaligned: storeBytes allows it
        var position = offset + 8
        var length = id.count
        while length >= 0x80 {
            arena[position] = UInt8(length & 0x7F) | 0x80
            length >>= 7
            position += 1
        }
        arena[position] = UInt8(length)
        position += 1
        if id.count > 0 { (arena + position).update(from: id.baseAddress!.assumingMemoryBound(to: UInt8.self), count: id.count) }
        arenaCount = position + id.count
        count += 1
        slots[slot] = (tag << Self.offsetBits) | UInt64(offset + 1)
        if count * 4 > slotCount * 3 { growSlots() }
        return nil
    }

    private func growArena(_ needed: Int) {
        var capacity = arenaCapacity * 2
        while capacity - arenaCount < needed { capacity *= 2 }
        let new = PageMemory.allocate(UInt8.self, count: capacity)
        new.update(from: arena, count: arenaCount)
        PageMemory.deallocate(arena, count: arenaCapacity)
        arena = new
        arenaCapacity = capacity
    }

    private func growSlots() { rehash(into: slotCount * 2) }

    /// Moves every slot to a table of `newCount`: the slot of an id comes from its hash, which is
    /// computed again from the id's bytes (growing is rare once the table is sized from the input).
    private func rehash(into newCount: Int) {
        let new = PageMemory.allocate(UInt64.self, count: newCount, prefault: true)
        let mask = newCount - 1
        for slot in 0..<slotCount where slots[slot] != 0 {
            let packed = slots[slot]
            let (id, _) = record(at: Int(truncatingIfNeeded: packed & Self.offsetMask) - 1)
            var target = Self.slot(of: Self.hash(id), mask: mask)
            while new[target] != 0 { target = (target + 1) & mask }
            new[target] = packed
        }
        PageMemory.deallocate(slots, count: slotCount)
        slots = new
        slotCount = newCount
    }
}
