#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The duplicate check past the memory limit: ids that do not fit the in-memory table are written,
/// in row order, to scratch files partitioned by hash, and each partition is checked on its own at
/// the end, in memory. The answer is exact: equal hashes are always compared byte for byte, a
/// partition too large for the budget is split again by other bits of the hash, and the
/// duplicates come back in (row, order) order with the first row of each id — what the
/// in-memory registry would have said of the same ids, registered in the same order.
///
/// One spill serves one registry shard (its ids arrive in row order from one thread). Records
/// are `hash u64, row i64, line i64, order i32, length u32, set u8, rowHasErrors u8`, then the
/// id's bytes; a duplicate found adds `firstRow i64` after them.
final class IDSpill {
    /// One id whose value was seen in an earlier row.
    struct Duplicate: Equatable {
        var row: Int
        var line: Int
        var order: Int
        /// 0: the id; k: the k-th `unique` column.
        var set: Int
        var rowHasErrors: Bool
        var firstRow: Int
        var id: [UInt8]
    }

    private let folder: TemporaryFolder
    private let partitions: [SpillFile]
    /// Bytes spilled so far.
    private(set) var byteCount = 0
    /// Ids spilled so far.
    private(set) var count = 0
    /// Partitions split again for the budget, and partitions whose hashes could not be split.
    private(set) var splits = 0
    private(set) var unsplittable = 0
    private var record: [UInt8] = []

    static let headerSize = 34
    /// Partitions of the first level: 64 files, 64 KiB of buffer each.
    static let partitionCount = 64

    /// Spills made in this process (tests look, to know a run went out of core).
    nonisolated(unsafe) static var made = 0

    init(folder: TemporaryFolder) throws(PreflightError) {
        Self.made += 1
        self.folder = folder
        var files: [SpillFile] = []
        for _ in 0..<Self.partitionCount { files.append(SpillFile(descriptor: try folder.createFile(), folder: folder)) }
        partitions = files
    }

    /// The partition of `hash` at split `level` (0 for the first files): 6 bits of the hash each,
    /// from bit 32 up, away from the bits the shards (low) and the table's tags (high) use.
    @inline(__always)
    static func partition(of hash: UInt64, level: Int) -> Int {
        Int(truncatingIfNeeded: (hash >> UInt64(32 + 6 * (level % 5))) & 63)
    }

    /// Writes one id, after those of earlier rows.
    func append(_ id: UnsafeRawBufferPointer, hash: UInt64, row: Int, line: Int, order: Int, set: Int,
                rowHasErrors: Bool) throws(PreflightError) {
        record.removeAll(keepingCapacity: true)
        Self.encode(hash: hash, row: row, line: line, order: order, set: set, rowHasErrors: rowHasErrors, id: id,
                    into: &record)
        try partitions[Self.partition(of: hash, level: 0)].write(record)
        byteCount += record.count
        count += 1
    }

    static func encode(hash: UInt64, row: Int, line: Int, order: Int, set: Int, rowHasErrors: Bool,
                       id: UnsafeRawBufferPointer, into record: inout [UInt8]) {
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { record.append(contentsOf: $0) }
        }
        put(hash)
        put(Int64(row))
        put(Int64(line))
        put(Int32(truncatingIfNeeded: order))
        put(UInt32(truncatingIfNeeded: id.count))
        record.append(UInt8(truncatingIfNeeded: set))
        record.append(rowHasErrors ? 1 : 0)
        record.append(contentsOf: id)
    }

    /// Checks every partition (none larger than `memoryBudget` bytes of table at a time) and
    /// returns the duplicates in (row, order) order. The spill is used up.
    func resolve(memoryBudget: Int) throws(PreflightError) -> [Duplicate] {
        var lists: [[Duplicate]] = []
        for file in partitions {
            try resolve(file, level: 0, budget: max(memoryBudget, 4096), into: &lists)
        }
        return Self.mergeInOrder(lists)
    }

    /// A partition's duplicates (each list in row order, as the partition's records are), split
    /// first while it is too large for the budget and its hashes still differ.
    private func resolve(_ file: SpillFile, level: Int, budget: Int, into lists: inout [[Duplicate]])
        throws(PreflightError) {
        let size = try file.finishWriting()
        guard size > 0 else { return }
        // A table of the partition's ids costs about twice their records.
        if size * 2 > budget, level < 4 {
            // Sub-files are made as the records need them.
            var parts = [SpillFile?](repeating: nil, count: 64)
            try file.forEachRecord { (record, hash) throws(PreflightError) in
                let part = Self.partition(of: hash, level: level + 1)
                if parts[part] == nil { parts[part] = SpillFile(descriptor: try folder.createFile(), folder: folder) }
                try parts[part]!.write(record)
            }
            file.discard()
            splits += 1
            let used = parts.compactMap { $0 }
            if used.count > 1 {
                for part in used { try resolve(part, level: level + 1, budget: budget, into: &lists) }
                return
            }
            // Every record has the same bits here: splitting does not help. Check the one
            // non-empty part in memory, over the budget (only ids whose hashes collide get here).
            unsplittable += 1
            for part in used { try resolveInMemory(part, into: &lists) }
            return
        }
        try resolveInMemory(file, into: &lists)
    }

    private func resolveInMemory(_ file: SpillFile, into lists: inout [[Duplicate]]) throws(PreflightError) {
        // Tables sized for the partition: at most one id per header's worth of bytes.
        let size = try file.finishWriting()
        var slots = 16
        while slots < 2 * (size / Self.headerSize) { slots *= 2 }
        var registries: [Int: IDRegistry] = [:]
        var found: [Duplicate] = []
        try file.forEachRecord { (record, hash) throws(PreflightError) in
            let header = Self.header(of: record)
            let id = UnsafeRawBufferPointer(rebasing: record[Self.headerSize...])
            let registry: IDRegistry
            if let known = registries[header.set] {
                registry = known
            } else {
                registry = IDRegistry(slots: slots)
                registries[header.set] = registry
            }
            if let first = registry.register(id, hash: hash, row: header.row) {
                found.append(Duplicate(row: header.row, line: header.line, order: header.order, set: header.set,
                                       rowHasErrors: header.rowHasErrors, firstRow: first, id: Array(id)))
            }
        }
        file.discard()
        if !found.isEmpty { lists.append(found) }
    }

    static func header(of record: UnsafeRawBufferPointer)
        -> (row: Int, line: Int, order: Int, set: Int, rowHasErrors: Bool) {
        (Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))),
         Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: Int64.self))),
         Int(Int32(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int32.self))),
         Int(record[32]), record[33] != 0)
    }

    /// Lists each in (row, order) order, merged into one.
    static func mergeInOrder(_ lists: [[Duplicate]]) -> [Duplicate] {
        if lists.count == 1 { return lists[0] }
        return lists.joined().sorted { ($0.row, $0.order, $0.set) < ($1.row, $1.order, $1.set) }
    }
}

/// One scratch file of records: written through a buffer, then read back record by record.
final class SpillFile {
    private var descriptor: Int32
    private let folder: TemporaryFolder
    private var buffer: [UInt8] = []
    private var written = 0
    private static let bufferSize = 1 << 16

    init(descriptor: Int32, folder: TemporaryFolder) {
        self.descriptor = descriptor
        self.folder = folder
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit { discard() }

    /// Closes the file: its space comes back (it has no name).
    func discard() {
        if descriptor >= 0 { closeDescriptor(descriptor) }
        descriptor = -1
    }

    func write(_ bytes: [UInt8]) throws(PreflightError) {
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        buffer.append(contentsOf: bytes)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        buffer.append(contentsOf: bytes)
    }

    private func flush() throws(PreflightError) {
        var done = 0
        while done < buffer.count {
            let result = buffer.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, $0.count - done, off_t(written + done)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite("a temporary file in \(folder.parent)", errno: errno)
            }
            done += result
        }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes out what is buffered; returns the file's size.
    func finishWriting() throws(PreflightError) -> Int {
        try flush()
        return written
    }

    /// Reads the file back, a record at a time, with its hash.
    func forEachRecord(_ body: (UnsafeRawBufferPointer, UInt64) throws(PreflightError) -> Void) throws(PreflightError) {
        let size = try finishWriting()
        var capacity = Self.bufferSize * 4
        var data = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { data.deallocate() }
        var filled = 0  // bytes in `data`, from a record's start
        var offset = 0
        while offset < size {
            let got = pread(descriptor, data + filled, min(capacity - filled, size - offset), off_t(offset))
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotRead("a temporary file in \(folder.parent)", errno: errno)
            }
            if got == 0 { throw .cannotRead("a temporary file in \(folder.parent)", errno: EIO) }
            offset += got
            filled += got
            var start = 0
            while filled - start >= IDSpill.headerSize {
                let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: start + 28, as: UInt32.self)))
                let end = start + IDSpill.headerSize + length
                if end > capacity {
                    // A record longer than the buffer: make room for it whole.
                    while end - start > capacity { capacity *= 2 }
                    let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
                    larger.copyMemory(from: data + start, byteCount: filled - start)
                    data.deallocate()
                    data = larger
                    filled -= start
                    start = 0
                    break
                }
                guard end <= filled else { break }
                let hash = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                try body(UnsafeRawBufferPointer(start: data + start, count: end - start), hash)
                start = end
            }
            if start > 0 {
                memmove(data, data + start, filled - start)  // the regions may overlap
                filled -= start
            }
        }
        guard filled == 0 else { throw .cannotRead("a temporary file in \(folder.parent)", errno: EIO) }
    }
}

/// close(2), at file scope: `SpillFile` has its own `discard`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
