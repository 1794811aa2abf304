#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CScan

/// The ids seen so far and the first row of each, compared byte for byte.
///
/// Open addressing over manually managed flat storage: id bytes live in one arena, each slot packs
/// a 32-bit hash tag with the entry number, so a probe rarely touches anything but the slot
/// array. No `String`, no allocation per id (storage grows geometrically). About 30 bytes per id
/// plus its bytes.
final class IDRegistry {
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount = 1 << 16
    private var offsets: UnsafeMutablePointer<Int>
    private var rows: UnsafeMutablePointer<Int>
    private var lengths: UnsafeMutablePointer<Int32>
    private var entryCapacity = 512
    private(set) var count = 0
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity = 1 << 14

    // The tables come from `PageMemory` (zeroed, huge pages when large): they are probed at random.
    init() {
        slots = PageMemory.allocate(UInt64.self, count: slotCount)
        offsets = PageMemory.allocate(Int.self, count: entryCapacity)
        rows = PageMemory.allocate(Int.self, count: entryCapacity)
        lengths = PageMemory.allocate(Int32.self, count: entryCapacity)
        arena = PageMemory.allocate(UInt8.self, count: arenaCapacity)
    }

    deinit {
        PageMemory.deallocate(slots, count: slotCount)
        PageMemory.deallocate(offsets, count: entryCapacity)
        PageMemory.deallocate(rows, count: entryCapacity)
        PageMemory.deallocate(lengths, count: entryCapacity)
        PageMemory.deallocate(arena, count: arenaCapacity)
    }

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
        return hash ^ (hash >> 32)
    }

    /// Prefetches the slot where `hash` starts probing. Doing this for a batch of ids before
    /// registering them lets the processor fetch their slots from memory in parallel, instead of
    /// waiting for one cache miss per id (the table outgrows the caches at millions of ids).
    @inline(__always)
    func touch(hash: UInt64) {
        pfscan_prefetch(slots + (Int(truncatingIfNeeded: hash >> 32) & (slotCount - 1)))
    }

    /// Makes room for `expected` ids in all (averaging `averageLength` bytes), so that the table
    /// is not grown and rehashed again and again on a large input. Never shrinks.
    func reserve(_ expected: Int, averageLength: Int) {
        guard expected > count else { return }
        var newSlotCount = slotCount
        while expected * 4 > newSlotCount * 3 { newSlotCount *= 2 }
        if newSlotCount > slotCount { rehash(into: newSlotCount) }
        if expected > entryCapacity { growEntries(to: expected) }
        let arenaNeeded = expected * max(1, averageLength)
        if arenaNeeded > arenaCapacity { growArena(arenaNeeded - arenaCount) }
    }

    /// Registers the id for `row`. Returns the row that registered it first, or nil if it is new.
    /// `hash` is `IDRegistry.hash(id)` (callers may compute it on another thread).
    func register(_ id: UnsafeRawBufferPointer, hash: UInt64, row: Int) -> Int? {
        // The slot comes from the hash's high half, so growing needs no rehashing of the bytes.
        let tag = hash >> 32
        let mask = slotCount - 1
        var slot = Int(truncatingIfNeeded: tag) & mask
        while true {
            let packed = slots[slot]
            if packed == 0 { break }
            if packed >> 32 == tag {
                let index = Int(truncatingIfNeeded: packed & 0xFFFF_FFFF) - 1
                if Int(lengths[index]) == id.count,
                   id.count == 0 || memcmp(arena + offsets[index], id.baseAddress!, id.count) == 0 {
                    return rows[index]
                }
            }
            slot = (slot + 1) & mask
        }
        if count == entryCapacity { growEntries() }
        if arenaCapacity - arenaCount < id.count { growArena(id.count) }
        if id.count > 0 { (arena + arenaCount).update(from: id.baseAddress!.assumingMemoryBound(to: UInt8.self), count: id.count) }
        offsets[count] = arenaCount
        lengths[count] = Int32(truncatingIfNeeded: id.count)
        rows[count] = row
        arenaCount += id.count
        count += 1
        slots[slot] = (tag << 32) | UInt64(count)
        if count * 4 > slotCount * 3 { growSlots() }
        return nil
    }

    private func growEntries(to wanted: Int? = nil) {
        let capacity = max(wanted ?? 0, entryCapacity * 2)
        func grown<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = PageMemory.allocate(T.self, count: capacity)
            new.moveInitialize(from: old, count: count)
            PageMemory.deallocate(old, count: entryCapacity)
            return new
        }
        offsets = grown(offsets)
        rows = grown(rows)
        lengths = grown(lengths)
        entryCapacity = capacity
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

    private func rehash(into newCount: Int) {
        let new = PageMemory.allocate(UInt64.self, count: newCount)
        let mask = newCount - 1
        for slot in 0..<slotCount where slots[slot] != 0 {
            let packed = slots[slot]
            var target = Int(truncatingIfNeeded: packed >> 32) & mask
            while new[target] != 0 { target = (target + 1) & mask }
            new[target] = packed
        }
        PageMemory.deallocate(slots, count: slotCount)
        slots = new
        slotCount = newCount
    }
}
