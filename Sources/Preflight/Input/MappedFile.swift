#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped read-only, whole, so that windows are slices of the page cache: no copy
/// into a buffer and no fresh memory to fault in per window. The bytes after the file's end up
/// to the next page and one page more read as zeros, which covers simdjson's padding. Pages
/// behind the window are released as it moves on, so the process holds about one window of them.
///
/// A file cut short while it is mapped raises SIGBUS when a page past its new end is touched;
/// only the process's owner can handle that signal, so mapping is asked for
/// (`ValidationOptions.mapsFiles`, which the `preflight` command line sets and guards).
final class MappedFile {
    let base: UnsafeRawPointer
    /// The file's size when it was mapped.
    let size: Int
    private let descriptor: Int32
    private let mappedLength: Int
    /// Bytes before this offset were given back.
    private var released = 0
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps the open regular file `descriptor` of `size` bytes (> 0); nil when it cannot be mapped
    /// (then it is read instead). The descriptor stays open and is closed with the mapping.
    init?(descriptor: Int32, size: Int) {
        guard size > 0, InputBytes.padding <= Self.pageSize else { return nil }
        let pages = (size + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        let length = pages + Self.pageSize
        // Reserve the whole range readable and zeroed, then lay the file over its start.
        guard let reserved = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              reserved != MAP_FAILED else { return nil }
        guard let file = mmap(reserved, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, descriptor, 0), file == reserved
        else {
            munmap(reserved, length)
            return nil
        }
        _ = madvise(reserved, pages, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(reserved)
        self.size = size
        self.descriptor = descriptor
        mappedLength = length
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
        close(descriptor)
    }

    /// Gives back the pages wholly before `offset` (they stay in the page cache).
    func release(before offset: Int) {
        let end = offset / Self.pageSize * Self.pageSize
        guard end > released else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + released), end - released, MADV_DONTNEED)
        released = end
    }

    /// Whether the file on disk still has the size it was mapped with.
    var isUnchanged: Bool {
        var status = stat()
        return fstat(descriptor, &status) == 0 && Int(status.st_size) == size
    }

    /// The first two bytes of the file (gzip's magic number decides whether it can be mapped).
    static func firstTwoBytes(of descriptor: Int32) -> (UInt8, UInt8)? {
        var bytes: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &bytes) { pread(descriptor, $0.baseAddress, 2, 0) }
        return got == 2 ? bytes : nil
    }
}
