#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed memory for the few large, long-lived buffers (windows, the id registry's tables).
///
/// Large blocks are mapped on 2 MiB boundaries and marked for transparent huge pages where the
/// system offers them: a table of millions of ids is probed at random, and with 4 KiB pages
/// nearly every probe would also miss the TLB, and filling it would take one page fault per
/// 4 KiB. Middle-sized blocks are mapped in plain pages, and only small ones come from the C
/// heap: glibc raises its own mapping threshold as large blocks are freed, and then keeps freed
/// blocks of a few MiB in its heap — the out-of-core check, which makes and drops a table per
/// partition, held 2 MiB more per partition that way (130 MB in all on 10M rows). Either way the
/// memory reads as zeros.
enum PageMemory {
    /// Blocks from this size on are mapped on huge-page boundaries.
    static let hugeThreshold = 4 << 20
    /// Blocks from this size on are mapped (in whole pages); smaller ones come from the C heap.
    static let mappedThreshold = 256 << 10
    private static let hugePage = 2 << 20
    private static let page = 4096
    /// `MADV_POPULATE_WRITE` (not in every libc's headers yet).
    private static let populateWrite: Int32 = 23

    /// Bytes actually held for a request of `byteCount` (what `deallocate` must be given back).
    static func roundedSize(_ byteCount: Int) -> Int {
        if byteCount < mappedThreshold { return max(byteCount, 1) }
        let unit = byteCount < hugeThreshold ? page : hugePage
        return (byteCount + unit - 1) / unit * unit
    }

    /// `byteCount` zeroed bytes, aligned to 64 bytes at least. Stops the process when memory is
    /// exhausted, as Swift's own allocation does.
    /// `prefault`: the block will be written all over at random (a hash table): map it in now.
    static func allocate(byteCount: Int, prefault: Bool = false) -> UnsafeMutableRawPointer {
        let size = roundedSize(byteCount)
        if size < mappedThreshold {
            var pointer: UnsafeMutableRawPointer? = nil
            guard posix_memalign(&pointer, 64, size) == 0, let pointer else { fatalError("out of memory") }
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            return pointer
        }
        if size < hugeThreshold {
            guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED else { fatalError("out of memory") }
            return raw
        }
        #if os(Linux)
        // Map a huge page more than needed, then give back the slack on both sides of the
        // 2 MiB-aligned block, so that every 2 MiB of it can be one huge page.
        let mapped = size + hugePage
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { fatalError("out of memory") }
        let address = Int(bitPattern: raw)
        let aligned = (address + hugePage - 1) / hugePage * hugePage
        if aligned > address { munmap(raw, aligned - address) }
        let tail = address + mapped - (aligned + size)
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + size), tail) }
        let block = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(block, size, MADV_HUGEPAGE)  // a hint: without it, ordinary pages
        if prefault {
            // Fault every page in, writable, now: a table filled at random would otherwise map
            // the shared zero page on its first read and fault again on its first write.
            _ = madvise(block, size, populateWrite)  // Linux 5.14+; older kernels refuse it harmlessly
        }
        return block
        #else
        guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0), raw != MAP_FAILED
        else { fatalError("out of memory") }
        return raw
        #endif
    }

    /// Frees a block from `allocate(byteCount:)`, given the same `byteCount`.
    static func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = roundedSize(byteCount)
        if size < mappedThreshold { free(pointer) } else { munmap(pointer, size) }
    }

    /// Typed convenience: `count` zeroed elements of a trivial type.
    static func allocate<T>(_ type: T.Type, count: Int, prefault: Bool = false) -> UnsafeMutablePointer<T> {
        allocate(byteCount: count * MemoryLayout<T>.stride, prefault: prefault).bindMemory(to: T.self, capacity: count)
    }

    static func deallocate<T>(_ pointer: UnsafeMutablePointer<T>, count: Int) {
        deallocate(UnsafeMutableRawPointer(pointer), byteCount: count * MemoryLayout<T>.stride)
    }
}
