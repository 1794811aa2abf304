import Synchronization
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
    static var made: Int { madeCount.load(ordering: .relaxed) }
    private static let madeCount = Atomic<Int>(0)

    init(folder: TemporaryFolder) throws(PreflightError) {
        Self.madeCount.add(1, ordering: .relaxed)
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
        let file = partitions[Self.partition(of: hash, level: 0)]
        let size = Self.headerSize + id.count
        if size <= SpillFile.bufferSize {
            // Encoded in place in the file's buffer.
            let at = try file.reserve(size)
            at.storeBytes(of: hash.littleEndian, toByteOffset: 0, as: UInt64.self)
            at.storeBytes(of: Int64(row).littleEndian, toByteOffset: 8, as: Int64.self)
            at.storeBytes(of: Int64(line).littleEndian, toByteOffset: 16, as: Int64.self)
            at.storeBytes(of: Int32(truncatingIfNeeded: order).littleEndian, toByteOffset: 24, as: Int32.self)
            at.storeBytes(of: UInt32(truncatingIfNeeded: id.count).littleEndian, toByteOffset: 28, as: UInt32.self)
            at.storeBytes(of: UInt8(truncatingIfNeeded: set), toByteOffset: 32, as: UInt8.self)
            at.storeBytes(of: UInt8(rowHasErrors ? 1 : 0), toByteOffset: 33, as: UInt8.self)
            if let base = id.baseAddress { (at + Self.headerSize).copyMemory(from: base, byteCount: id.count) }
        } else {
            record.removeAll(keepingCapacity: true)
            Self.encode(hash: hash, row: row, line: line, order: order, set: set, rowHasErrors: rowHasErrors, id: id,
                        into: &record)
            try file.write(record)
        }
        byteCount += size
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

    /// Checks every partition (none larger than `memoryBudget` bytes of table at a time, in all);
    /// the duplicates come back one at a time, in (row, order) order, from the files each checked
    /// partition wrote them to (memory does not grow with their number). Up to `threads`
    /// partitions are checked at once when the budget holds that many of the largest. The spill
    /// is used up.
    func resolve(memoryBudget: Int, threads: Int = 1) throws(PreflightError) -> LateDuplicates {
        try LateDuplicates(resolveToFiles(memoryBudget: memoryBudget, threads: threads))
    }

    /// `resolve`'s work: the files of duplicates, at most one per partition, each in (row, order)
    /// order (several spills' files can then be read back as one).
    func resolveToFiles(memoryBudget: Int, threads: Int = 1) throws(PreflightError) -> [SpillFile] {
        var largest = 0
        for file in partitions { largest = max(largest, try file.finishWriting()) }
        let budget = max(memoryBudget, 4096)
        let tasks = max(1, min(threads, budget / max(1, 2 * largest)))
        let partitions = self.partitions
        let done = try Parallel.map(tasks) { (task) throws(PreflightError) -> ([SpillFile], Counts) in
            var runs: [SpillFile] = []
            var counts = Counts()
            for index in stride(from: task, to: partitions.count, by: tasks) {
                var partitionRuns: [SpillFile] = []
                try resolve(partitions[index], level: 0, budget: budget / tasks, into: &partitionRuns, counts: &counts)
                // A partition split again has a file of duplicates per part: merged into one, so
                // that the end reads at most one file per partition (open files, buffers).
                if partitionRuns.count > 1 {
                    partitionRuns = [try Self.merge(partitionRuns, in: folder)]
                }
                runs += partitionRuns
            }
            return (runs, counts)
        }
        for (_, counts) in done {
            splits += counts.splits
            unsplittable += counts.unsplittable
        }
        return done.flatMap(\.0)
    }

    /// Partitions split again, and partitions whose hashes could not be split, by one task.
    private struct Counts {
        var splits = 0
        var unsplittable = 0
    }

    /// A partition's duplicates, written in row order (as the partition's records are) to a file
    /// of their own; the partition is split first while too large for the budget and its hashes
    /// still differ.
    private func resolve(_ file: SpillFile, level: Int, budget: Int, into runs: inout [SpillFile],
                         counts: inout Counts) throws(PreflightError) {
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
            counts.splits += 1
            let used = parts.compactMap { $0 }
            if used.count > 1 {
                for part in used { try resolve(part, level: level + 1, budget: budget, into: &runs, counts: &counts) }
                return
            }
            // Every record has the same bits here: splitting does not help. Check the one
            // non-empty part in memory, over the budget (only ids whose hashes collide get here).
            counts.unsplittable += 1
            for part in used { try resolveInMemory(part, into: &runs) }
            return
        }
        try resolveInMemory(file, into: &runs)
    }

    private func resolveInMemory(_ file: SpillFile, into runs: inout [SpillFile]) throws(PreflightError) {
        // Tables sized for the partition: at most one id per header's worth of bytes.
        let size = try file.finishWriting()
        var slots = 16
        while slots < 2 * (size / Self.headerSize) { slots *= 2 }
        var registries: [Int: IDRegistry] = [:]
        var found: SpillFile?
        var firstRow: [UInt8] = []
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
                // The record as it came, then the first row: a duplicate's record.
                if found == nil { found = SpillFile(descriptor: try folder.createFile(), folder: folder) }
                try found!.write(record)
                firstRow.removeAll(keepingCapacity: true)
                withUnsafeBytes(of: Int64(first).littleEndian) { firstRow.append(contentsOf: $0) }
                try found!.write(firstRow)
            }
        }
        file.discard()
        if let found { runs.append(found) }
    }

    /// Writes the duplicates of `runs` into one file, in (row, order, set) order.
    private static func merge(_ runs: [SpillFile], in folder: TemporaryFolder) throws(PreflightError) -> SpillFile {
        let merged = SpillFile(descriptor: try folder.createFile(), folder: folder)
        let late = try LateDuplicates(runs)
        while let record = try late.nextRecord() { try merged.write(record) }
        return merged
    }

    /// A duplicate's record (from `LateDuplicates.nextRecord`): the first row of its id, and the id.
    static func firstRow(of record: UnsafeRawBufferPointer) -> Int {
        Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: record.count - 8, as: Int64.self)))
    }

    static func id(of record: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: record[headerSize..<(record.count - 8)])
    }

    /// A record's length from its header (`headerSize` bytes): the header and the id's bytes.
    static func recordLength(_ header: UnsafeRawPointer) -> Int {
        headerSize + Int(UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
    }

    static func header(of record: UnsafeRawBufferPointer)
        -> (row: Int, line: Int, order: Int, set: Int, rowHasErrors: Bool) {
        (Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))),
         Int(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: Int64.self))),
         Int(Int32(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int32.self))),
         Int(record[32]), record[33] != 0)
    }

}

/// The duplicates an `IDSpill` found, read back in (row, order, set) order: a merge of the
/// files its partitions wrote (each in row order), one record of each in memory at a time.
final class LateDuplicates {
    private var cursors: [SpillCursor] = []
    /// Cursors with a record waiting, by (row, order, set).
    private var heap = CursorHeap()

    /// Files read (at most one per partition; tests look).
    var fileCount: Int { cursors.count }
    /// The cursor whose record `nextRecord` returned last: it moves on at the next call.
    private var pending: Int?

    init(_ runs: [SpillFile]) throws(PreflightError) {
        for run in runs {
            // A duplicate's record is a spill record and the first row.
            let cursor = try SpillCursor(run, headerSize: IDSpill.headerSize) { IDSpill.recordLength($0) + 8 }
            cursors.append(cursor)
            try push(cursors.count - 1)
        }
    }

    /// The next duplicate's record in (row, order, set) order — a spill record, then the first
    /// row (`IDSpill.firstRow(of:)`) — valid until the next call; nil when all are read.
    func nextRecord() throws(PreflightError) -> UnsafeRawBufferPointer? {
        if let pending {
            self.pending = nil
            try push(pending)
        }
        guard let top = heap.popFirst() else { return nil }
        pending = top
        return cursors[top].current
    }

    /// The next duplicate, decoded (tests compare them).
    func next() throws(PreflightError) -> IDSpill.Duplicate? {
        guard let record = try nextRecord() else { return nil }
        let header = IDSpill.header(of: record)
        return IDSpill.Duplicate(row: header.row, line: header.line, order: header.order, set: header.set,
                                 rowHasErrors: header.rowHasErrors, firstRow: IDSpill.firstRow(of: record),
                                 id: Array(IDSpill.id(of: record)))
    }

    /// Reads the cursor's next record and puts it in the heap (a cursor at its end drops out).
    private func push(_ index: Int) throws(PreflightError) {
        guard let record = try cursors[index].advance() else { return }
        let header = IDSpill.header(of: record)
        heap.push(key: (header.row, header.order, header.set), cursor: index)
    }
}

/// Cursors over files sorted by (row, order, set), as a binary heap on their current records'
/// keys: the merge of such files, one record of each in memory at a time.
struct CursorHeap {
    private var entries: [(key: (Int, Int, Int), cursor: Int)] = []

    /// The smallest key waiting, and its cursor's index.
    var first: (key: (Int, Int, Int), cursor: Int)? { entries.first }

    mutating func push(key: (Int, Int, Int), cursor: Int) {
        entries.append((key, cursor))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].key < entries[parent].key else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes the entry of the smallest key out; returns its cursor's index (nil: none left).
    mutating func popFirst() -> Int? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                var smallest = parent
                for child in [2 * parent + 1, 2 * parent + 2]
                where child < entries.count && entries[child].key < entries[smallest].key {
                    smallest = child
                }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top.cursor
    }
}

/// One scratch file of records: written through a buffer, then read back record by record.
final class SpillFile {
    private(set) var descriptor: Int32
    private let folder: TemporaryFolder
    /// Bytes not written out yet: `buffered` of `bufferSize`. Made on the first write and let go
    /// by `finishWriting` (thousands of files may wait to be read back).
    private var buffer: UnsafeMutableRawPointer?
    private var buffered = 0
    private var written = 0
    static let bufferSize = 1 << 15

    init(descriptor: Int32, folder: TemporaryFolder) {
        self.descriptor = descriptor
        self.folder = folder
    }

    deinit {
        discard()
        buffer?.deallocate()
    }

    /// Closes the file: its space comes back (it has no name).
    func discard() {
        if descriptor >= 0 {
            closeDescriptor(descriptor)
            folder.noteHeld(-written)
        }
        descriptor = -1
    }

    func write(_ bytes: [UInt8]) throws(PreflightError) {
        // (`withUnsafeBytes` rethrows untyped: the typed error goes through a `Result`.)
        try bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try write(bytes) } }.get()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard bytes.count <= Self.bufferSize else {
            try flush()
            try writeOut(bytes)
            return
        }
        try reserve(bytes.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    /// Room for the next `count` bytes (at most `bufferSize`), for the caller to fill in place.
    @inline(__always)
    func reserve(_ count: Int) throws(PreflightError) -> UnsafeMutableRawPointer {
        if buffered + count > Self.bufferSize { try flush() }
        let base = buffer ?? {
            let made = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
            buffer = made
            return made
        }()
        let at = base + buffered
        buffered += count
        return at
    }

    private func flush() throws(PreflightError) {
        guard let buffer, buffered > 0 else { return }
        try writeOut(UnsafeRawBufferPointer(start: buffer, count: buffered))
        buffered = 0
    }

    /// Writes `bytes` at the end of the file, past the buffer.
    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard folder.hasRoom(for: bytes.count) else {
            throw .cannotWrite(TemporaryFolder.fileDescription(in: folder.parent), errno: ENOSPC)
        }
        var done = 0
        while done < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(written + done))
            if result < 0 {
                if errno == EINTR { continue }
                folder.noteHeld(done)
                written += done
                throw .cannotWrite(TemporaryFolder.fileDescription(in: folder.parent), errno: errno)
            }
            done += result
        }
        folder.noteHeld(bytes.count)
        written += bytes.count
    }

    /// Writes out what is buffered and lets the buffer go; returns the file's size.
    func finishWriting() throws(PreflightError) -> Int {
        try flush()
        buffer?.deallocate()
        buffer = nil
        return written
    }

    /// Reads the file of spill records back, a record at a time, with its hash.
    func forEachRecord(_ body: (UnsafeRawBufferPointer, UInt64) throws(PreflightError) -> Void) throws(PreflightError) {
        let cursor = try SpillCursor(self, headerSize: IDSpill.headerSize, bufferSize: Self.bufferSize * 4) {
            IDSpill.recordLength($0)
        }
        while let record = try cursor.advance() {
            try body(record, UInt64(littleEndian: record.loadUnaligned(as: UInt64.self)))
        }
    }

    /// Reads `count` bytes at `offset` into `target` (the file's own reads, for `SpillCursor`).
    fileprivate func read(into target: UnsafeMutableRawPointer, count: Int, at offset: Int) throws(PreflightError) -> Int {
        while true {
            let got = pread(descriptor, target, count, off_t(offset))
            if got >= 0 { return got }
            if errno != EINTR { throw .cannotRead(TemporaryFolder.fileDescription(in: folder.parent), errno: errno) }
        }
    }

    fileprivate var folderName: String { folder.parent }
}

/// Reads records front to back through a buffer of its own (many may be open at once: a small
/// one, grown for a record longer than it): a scratch file's, or those in bytes `from..<to` of any
/// file (`IDExchange`'s). A record's length is told from its first `headerSize` bytes.
final class SpillCursor {
    /// Reads up to `count` bytes at a file offset into the pointer; returns how many.
    typealias Read = (_ into: UnsafeMutableRawPointer, _ count: Int, _ at: Int) throws(PreflightError) -> Int

    private let read: Read
    /// Where the records end, and the error for records that run past it (the file is cut short).
    private let size: Int
    private let cutShort: PreflightError
    private let headerSize: Int
    private let recordLength: (UnsafeRawPointer) -> Int
    private var data: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes in `data`; the current record's start and end in it; the file offset read up to.
    private var filled = 0, start = 0, end = 0, offset: Int

    /// The records of a scratch file, written to the end.
    convenience init(_ file: SpillFile, headerSize: Int, bufferSize: Int = 1 << 14,
                     recordLength: @escaping (UnsafeRawPointer) -> Int) throws(PreflightError) {
        self.init(reading: { (into, count, at) throws(PreflightError) in try file.read(into: into, count: count, at: at) },
                  from: 0, to: try file.finishWriting(),
                  cutShort: .cannotRead(TemporaryFolder.fileDescription(in: file.folderName), errno: EIO),
                  headerSize: headerSize, bufferSize: bufferSize, recordLength: recordLength)
    }

    /// The records in bytes `from..<to` of what `read` reads.
    init(reading read: @escaping Read, from: Int, to: Int, cutShort: PreflightError, headerSize: Int,
         bufferSize: Int = 1 << 14, recordLength: @escaping (UnsafeRawPointer) -> Int) {
        self.read = read
        offset = from
        size = max(from, to)
        self.cutShort = cutShort
        self.headerSize = headerSize
        self.recordLength = recordLength
        capacity = max(bufferSize, headerSize)
        data = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { data.deallocate() }

    /// The record `advance` returned last.
    private(set) var current: UnsafeRawBufferPointer?

    /// The next record (valid until the next call), or nil at the end.
    func advance() throws(PreflightError) -> UnsafeRawBufferPointer? {
        start = end
        current = nil
        var length = 0
        while true {
            if filled - start >= headerSize {
                length = recordLength(UnsafeRawPointer(data + start))
                if filled - start >= length { break }
                // A length past the end is a file cut short (or damaged): not a buffer to grow.
                if length - (filled - start) > size - offset { throw cutShort }
            }
            // Not a whole record in the buffer: move what is there to the front, grow if needed, read.
            if start > 0 {
                memmove(data, data + start, filled - start)
                filled -= start
                start = 0
            }
            if length > capacity {
                while length > capacity { capacity *= 2 }
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
                larger.copyMemory(from: data, byteCount: filled)
                data.deallocate()
                data = larger
            }
            if offset == size {
                guard filled == 0 else { throw cutShort }
                end = 0
                return nil
            }
            let got = try read(data + filled, min(capacity - filled, size - offset), offset)
            if got == 0 { throw cutShort }
            offset += got
            filled += got
        }
        end = start + length
        current = UnsafeRawBufferPointer(start: data + start, count: length)
        return current
    }
}

/// close(2), at file scope: `SpillFile` has its own `discard`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
