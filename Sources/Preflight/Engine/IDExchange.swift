#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The duplicate-id check of a sharded run, spread over many processes (a Spark shuffle): too
/// many ids for one merge to register in good time are cut by hash into buckets, each checked on
/// its own, and the merge takes the verdicts instead of registering ids.
///
/// 1. `writeBuckets`: a shard's ids (every id and `unique` value, numbered in the whole file) go
///    to one file per bucket, `bucket-NNNNN.ids`.
/// 2. `checkBucket`: one bucket's files from every shard give the bucket's verdicts — each id that
///    repeats an earlier row's, with that row — through the out-of-core check (`IDSpill`), in
///    bounded memory.
/// 3. `PartialMerge` with the verdict files of every bucket: ids take their verdicts from them,
///    so the report is the one run's, byte for byte.
///
/// Both kinds of file start with a magic line, the format version, the run's key (the partials'
/// file and options) and the bucket (index and count). An ids file then names its shard (range
/// start, first row's number, rows) and holds `IDSpill` records (line 0: lines are not needed);
/// a verdicts file names every shard it saw and holds verdict records sorted by (row, order, set)
/// (`ReplayVerdicts`' layout). Both end with a footer: `PFEND\n\0\0`, the number of records and
/// a checksum of them, so that a file cut short at a record's end or altered is refused. The merge
/// refuses verdicts of another run, a bucket missing or given twice, and verdicts whose shards are
/// not the partials' own.
@_spi(CommandLine) public enum IDExchange {
    static let idsMagic = Array("PREFLIGHT-IDS\n".utf8)
    static let verdictsMagic = Array("PREFLIGHT-VERDICTS\n".utf8)
    static let formatVersion: UInt64 = 1
    /// Buckets a check may be cut into (each an open file while a shard's ids are written, and
    /// a scratch file read at once by the merge).
    public static let bucketLimit = 1024
    static let footerMagic: [UInt8] = Array("PFEND\n\0\0".utf8)
    static let footerSize = 24

    /// The checksum of a file's records, one record at a time.
    @inline(__always)
    static func checksum(_ sum: UInt64, adding record: UnsafeRawBufferPointer) -> UInt64 {
        (sum &* 0x0000_0100_0000_01B3) ^ IDRegistry.hash(record)
    }

    /// A shard's place in the run: its range's start, the number of its first row in the whole
    /// file (for a shard with no rows, the next row's), and its rows.
    struct ShardRows: Equatable, CustomStringConvertible {
        var rangeStart: Int
        var firstRow: Int
        var rows: Int

        var description: String { "bytes from \(rangeStart): \(rows) rows from row \(firstRow)" }
    }

    /// The name of bucket `bucket`'s file of ids, as `writeBuckets` writes it.
    public static func idsFileName(bucket: Int) -> String {
        let digits = String(bucket)
        return "bucket-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".ids"
    }

    /// The bucket of an id's hash: high bits of the hash mixed again, apart from the bits the
    /// registry's slots and the spill's partitions use (a bucket of equal bits there would crowd
    /// its table).
    @inline(__always)
    static func bucket(of hash: UInt64, buckets: Int) -> Int {
        Int(truncatingIfNeeded: ((hash ^ (hash >> 29)) &* 0x94D0_49BB_1331_11EB) >> 33) % buckets
    }

    // MARK: Writing a shard's buckets

    /// Writes the ids of the shard whose partial is `shard` to `buckets` files in `directory`,
    /// numbered in the whole file: from the run's plan file (`PartialMerge.writePlan`) when
    /// `plan` is given, else from `paths`, every partial of the run (`shard` one of them). A
    /// shard whose rows lie in a row before it writes empty files.
    public static func writeBuckets(paths: [String], plan: String? = nil, shard: String, buckets: Int,
                                    directory: String, temporaryDirectory: String?) throws(PreflightError) {
        guard buckets >= 1, buckets <= bucketLimit else {
            throw .notAPartial(path: shard, reason: "buckets must be 1 to \(bucketLimit)")
        }
        let run = try ShardInRun(shard: shard, plan: plan, paths: paths, temporaryDirectory: temporaryDirectory)
        let place = run.place, key = run.key
        var files: [ExchangeWriter] = []
        for bucket in 0..<buckets {
            var head = ByteWriter()
            writeHead(idsMagic, key: key, bucket: bucket, buckets: buckets, into: &head)
            for value in [place.rangeStart, place.firstRow, place.rows] { head.uint64(UInt64(value)) }
            files.append(try ExchangeWriter(path: directory + "/" + idsFileName(bucket: bucket), head: head.bytes))
        }
        if let reader = run.reader {
            var row = place.firstRow
            var record: [UInt8] = []
            while let block = try reader.nextBlock({ (tag, input) throws(PartialFile.Problem) in
                try PartialMerge.Block.decode(tag, from: &input, tracksRows: false, inputSize: nil)
            }) {
                guard case .chunks(let results) = block else { continue }
                for chunk in results {
                    for (entryIndex, entry) in chunk.ids.entries.enumerated() {
                        record.removeAll(keepingCapacity: true)
                        chunk.ids.withID(entryIndex) { id in
                            IDSpill.encode(hash: entry.hash, row: row + Int(entry.row), line: 0, order: Int(entry.order),
                                           set: Int(entry.set), rowHasErrors: false, id: id, into: &record)
                        }
                        try files[bucket(of: entry.hash, buckets: buckets)].writeRecord(record)
                    }
                    row += chunk.rows
                }
            }
            guard row - place.firstRow == place.rows else {
                throw .notAPartial(path: reader.path, reason: "it is damaged (its rows do not add up)")
            }
        }
        for file in files { try file.commit() }
    }

    private static func writeHead(_ magic: [UInt8], key: UInt64, bucket: Int, buckets: Int, into head: inout ByteWriter) {
        head.append(magic)
        head.uint64(formatVersion)
        head.uint64(key)
        head.uint64(UInt64(bucket))
        head.uint64(UInt64(buckets))
    }

    /// A file's head: its run, bucket and bucket count (after the magic and a version checked).
    private struct Head {
        var key: UInt64
        var bucket: Int
        var buckets: Int
    }

    private static func readHead(_ file: ExchangeFile, magic: [UInt8], kind: String) throws(PreflightError) -> Head {
        let notOne = PreflightError.notAPartial(path: file.path, reason: "it is not a preflight \(kind) file")
        guard let bytes = try file.peek(magic.count + 32), Array(bytes[..<magic.count]) == magic else { throw notOne }
        let version = bytes.loadUnaligned(fromByteOffset: magic.count, as: UInt64.self).littleEndian
        guard version == formatVersion else {
            throw .notAPartial(path: file.path, reason: "it is a \(kind) file of format \(version); this is preflight "
                               + "\(PreflightVersion.current), format \(formatVersion)")
        }
        let head = Head(key: bytes.loadUnaligned(fromByteOffset: magic.count + 8, as: UInt64.self).littleEndian,
                        bucket: Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: magic.count + 16, as: UInt64.self).littleEndian),
                        buckets: Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: magic.count + 24, as: UInt64.self).littleEndian))
        file.consume(magic.count + 32)
        guard head.buckets >= 1, head.buckets <= bucketLimit, head.bucket >= 0, head.bucket < head.buckets else {
            throw .notAPartial(path: file.path, reason: "it is damaged")
        }
        return head
    }

    private static func readShard(_ file: ExchangeFile) throws(PreflightError) -> ShardRows {
        guard let bytes = try file.peek(24) else { throw .notAPartial(path: file.path, reason: "it is cut short") }
        func value(_ at: Int) -> Int { Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian) }
        let shard = ShardRows(rangeStart: value(0), firstRow: value(8), rows: value(16))
        file.consume(24)
        guard shard.rangeStart >= 0, shard.firstRow >= 0, shard.rows >= 0, shard.firstRow <= Int.max - shard.rows else {
            throw .notAPartial(path: file.path, reason: "it is damaged")
        }
        return shard
    }

    // MARK: Checking a bucket

    /// Checks one bucket: `paths` are its ids files, one from each shard (any order); the
    /// verdicts go to `output`. Memory: the out-of-core check's, within `memoryLimit` (0: 1 GiB
    /// of tables).
    public static func checkBucket(paths: [String], output: String, memoryLimit: Int, temporaryDirectory: String?,
                                   threads: Int) throws(PreflightError) {
        guard !paths.isEmpty else { throw .notAPartial(path: "", reason: "no ids files given") }
        // Heads first, one file open at a time (a bucket has a file from each of thousands of shards).
        var inputs: [(path: String, head: Head, shard: ShardRows)] = []
        for path in paths {
            let file = try ExchangeFile(path: path)
            let head = try readHead(file, magic: idsMagic, kind: "ids")
            inputs.append((path, head, try readShard(file)))
        }
        let first = inputs[0]
        for input in inputs.dropFirst() where input.head.key != first.head.key || input.head.bucket != first.head.bucket
            || input.head.buckets != first.head.buckets {
            throw .notAPartial(path: input.path, reason: input.head.key != first.head.key
                               ? "its ids are of another file or other options than \(first.path)'s"
                               : "it is bucket \(input.head.bucket) of \(input.head.buckets), and \(first.path) is "
                                 + "bucket \(first.head.bucket) of \(first.head.buckets)")
        }
        // Shards in row order: ids are registered in the order of their rows.
        inputs.sort { ($0.shard.firstRow, $0.shard.rangeStart) < ($1.shard.firstRow, $1.shard.rangeStart) }
        for (earlier, later) in zip(inputs, inputs.dropFirst())
        where earlier.shard.rangeStart == later.shard.rangeStart || earlier.shard.firstRow + earlier.shard.rows > later.shard.firstRow {
            throw .notAPartial(path: later.path, reason: "its shard (\(later.shard)) overlaps that of "
                               + "\(earlier.path) (\(earlier.shard))")
        }
        let folder = try TemporaryFolder(in: temporaryDirectory)
        let spill = try IDSpill(folder: folder)
        for input in inputs {
            let file = try ExchangeFile(path: input.path)
            _ = try readHead(file, magic: idsMagic, kind: "ids")
            _ = try readShard(file)
            var lastRow = input.shard.firstRow
            let damaged = PreflightError.notAPartial(path: input.path, reason: "it is damaged")
            while let head = try file.peek(IDSpill.headerSize) {
                let length = IDSpill.recordLength(head.baseAddress!)
                guard length <= 1 << 30, let record = try file.peek(length) else { throw damaged }
                let fields = IDSpill.header(of: record)
                let id = UnsafeRawBufferPointer(rebasing: record[IDSpill.headerSize...])
                let hash = IDRegistry.hash(id)
                // Rows in order and in the shard; the hash the id's own, in this bucket.
                guard fields.row >= lastRow, fields.row < input.shard.firstRow + input.shard.rows,
                      record.loadUnaligned(as: UInt64.self).littleEndian == hash,
                      bucket(of: hash, buckets: first.head.buckets) == first.head.bucket else { throw damaged }
                lastRow = fields.row
                try spill.append(id, hash: hash, row: fields.row, line: 0, order: fields.order, set: fields.set,
                                 rowHasErrors: false)
                file.consumeRecord(length)
            }
            try file.checkFooter()
        }
        var head = ByteWriter()
        writeHead(verdictsMagic, key: first.head.key, bucket: first.head.bucket, buckets: first.head.buckets, into: &head)
        head.uint64(UInt64(inputs.count))
        for input in inputs {
            for value in [input.shard.rangeStart, input.shard.firstRow, input.shard.rows] { head.uint64(UInt64(value)) }
        }
        let out = try ExchangeWriter(path: output, head: head.bytes)
        // No limit: the tables may take what the bucket needs (1 TiB is no limit in practice).
        let budget = memoryLimit == 0 ? 1 << 40 : max(16 << 20, memoryLimit - (40 << 20))
        let late = try spill.resolve(memoryBudget: budget, threads: max(1, threads))
        var verdict = [UInt8](repeating: 0, count: ReplayVerdicts.recordSize)
        while let record = try late.nextRecord() {
            let fields = IDSpill.header(of: record)
            verdict.withUnsafeMutableBytes { at in
                at.storeBytes(of: Int64(fields.row).littleEndian, toByteOffset: 0, as: Int64.self)
                at.storeBytes(of: Int64(IDSpill.firstRow(of: record)).littleEndian, toByteOffset: 8, as: Int64.self)
                at.storeBytes(of: Int32(truncatingIfNeeded: fields.order).littleEndian, toByteOffset: 16, as: Int32.self)
                at.storeBytes(of: UInt32(truncatingIfNeeded: fields.set).littleEndian, toByteOffset: 20, as: UInt32.self)
            }
            try out.writeRecord(verdict)
        }
        try out.commit()
    }

    // MARK: Reading the verdicts

    /// The verdicts of every bucket, for a merge of the run whose key is `key` and whose shards
    /// are `places`: checked (one file per bucket, each of this run and these shards, records in
    /// order), copied to scratch files in `folder`, and read back through one `VerdictReader`.
    ///
    /// `rows`: only the verdicts of these rows are wanted (one shard's part of the split): they
    /// are found by binary search (records are of one size, in row order) and only they are read
    /// and checked; the count of records is checked against the footer, their checksum is not
    /// (the merge reads every record and checks it).
    static func verdicts(paths: [String], key: UInt64, places: [ShardRows], rows: Range<Int>? = nil,
                         folder: TemporaryFolder) throws(PreflightError) -> VerdictReader {
        var cursors: [SpillCursor] = []
        var seen: [String?] = []
        for path in paths {
            let file = try ExchangeFile(path: path)
            let head = try readHead(file, magic: verdictsMagic, kind: "verdicts")
            guard head.key == key else {
                throw .notAPartial(path: path, reason: "its verdicts are of another file or other options than the partials'")
            }
            if seen.isEmpty { seen = Array(repeating: nil, count: head.buckets) }
            guard seen.count == head.buckets else {
                throw .notAPartial(path: path, reason: "it is a bucket of \(head.buckets), the other verdicts of \(seen.count)")
            }
            if let other = seen[head.bucket] {
                throw .notAPartial(path: path, reason: "it is bucket \(head.bucket), as \(other) is")
            }
            seen[head.bucket] = path
            guard let count = try file.peek(8) else { throw .notAPartial(path: path, reason: "it is cut short") }
            let shardCount = Int(truncatingIfNeeded: count.loadUnaligned(as: UInt64.self).littleEndian)
            file.consume(8)
            guard shardCount >= 0, shardCount <= 1 << 24 else { throw .notAPartial(path: path, reason: "it is damaged") }
            var shards: [ShardRows] = []
            for _ in 0..<shardCount { shards.append(try readShard(file)) }
            guard shards == places else {
                let missing = places.first { !shards.contains($0) }
                throw .notAPartial(path: path, reason: "its shards are not the partials': "
                                   + (missing.map { "it has no ids of the shard of \($0)" } ?? "it has ids of other shards"))
            }
            let copy = SpillFile(descriptor: try folder.createFile(), folder: folder)
            var last: (Int, Int, Int) = (-1, -1, -1)
            let start = places.first?.firstRow ?? 0, end = places.last.map { $0.firstRow + $0.rows } ?? 0
            let size = ReplayVerdicts.recordSize
            if let rows {
                // Straight to the first record of a row in `rows`.
                let first = file.position, count = (file.recordsEnd - first) / size
                guard (file.recordsEnd - first) % size == 0, try file.footerCount() == count else {
                    throw .notAPartial(path: path, reason: "it is cut short or damaged (its records do not match its footer)")
                }
                var low = 0, high = count
                while low < high {
                    let middle = (low + high) / 2
                    guard let record = file.read(size, at: first + middle * size) else {
                        throw .notAPartial(path: path, reason: "it is cut short")
                    }
                    if VerdictReader.decode(record).row < rows.lowerBound { low = middle + 1 } else { high = middle }
                }
                file.seek(to: first + low * size)
            }
            while let record = try file.peek(size) {
                let verdict = VerdictReader.decode(record)
                guard verdict.key > last, verdict.firstRow >= start, verdict.firstRow < verdict.row, verdict.row < end,
                      verdict.set <= Int(UInt8.max), verdict.order >= 0 else {
                    throw .notAPartial(path: path, reason: "it is damaged")
                }
                if let rows, verdict.row >= rows.upperBound { break }
                last = verdict.key
                try copy.write(record)
                file.consumeRecord(size)
            }
            if rows == nil { try file.checkFooter() }
            cursors.append(try ReplayVerdicts.cursor(copy))
        }
        if let missing = seen.firstIndex(where: { $0 == nil }) {
            throw .notAPartial(path: paths[0], reason: "the verdicts of bucket \(missing) of \(seen.count) are missing")
        }
        return try VerdictReader(cursors)
    }
}

/// A file of the exchange being written: its head, its records (counted and summed), and the
/// footer that says how many there were; put in place by `commit`.
private final class ExchangeWriter {
    private let file: OutputFile
    private var count: UInt64 = 0
    private var sum: UInt64 = 0

    init(path: String, head: [UInt8]) throws(PreflightError) {
        file = try OutputFile.create(path: path)
        try write(head)
    }

    func writeRecord(_ record: [UInt8]) throws(PreflightError) {
        record.withUnsafeBytes { sum = IDExchange.checksum(sum, adding: $0) }
        count += 1
        try write(record)
    }

    func commit() throws(PreflightError) {
        var footer = ByteWriter()
        footer.append(IDExchange.footerMagic)
        footer.uint64(count)
        footer.uint64(sum)
        try write(footer.bytes)
        try file.commit()
    }

    private func write(_ bytes: [UInt8]) throws(PreflightError) {
        // (`withUnsafeBytes` rethrows untyped: the typed error goes through a `Result`.)
        try bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try file.write(bytes) } }.get()
    }
}

/// A file of the exchange, read front to back through a buffer: `peek` a record's bytes, then
/// `consume` them (`consumeRecord` for a record, which the footer counts and sums), then
/// `checkFooter` once `peek` finds no more.
private final class ExchangeFile {
    let path: String
    private let descriptor: Int32
    private var data: UnsafeMutableRawPointer
    private var capacity = 1 << 16
    private var start = 0, filled = 0
    private var atEnd = false
    /// Where the records end (the footer's offset), and how far the file has been read.
    let recordsEnd: Int
    private var offset = 0
    private var count: UInt64 = 0
    private var sum: UInt64 = 0

    init(path: String) throws(PreflightError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let failure = errno
            close(descriptor)
            throw .cannotRead(path, errno: failure)
        }
        recordsEnd = max(0, Int(info.st_size) - IDExchange.footerSize)
        data = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    /// After the last record: the footer must count and sum the records read.
    func checkFooter() throws(PreflightError) {
        var footer = [UInt8](repeating: 0, count: IDExchange.footerSize)
        let got = footer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, IDExchange.footerSize, off_t(recordsEnd)) }
        let fields = footer.withUnsafeBytes { bytes in
            (bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
             bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
        }
        guard got == IDExchange.footerSize, Array(footer[..<8]) == IDExchange.footerMagic, fields == (count, sum) else {
            throw .notAPartial(path: path, reason: "it is cut short or damaged (its records do not match its footer)")
        }
    }

    /// The file offset of the next byte `peek` gives.
    var position: Int { offset - (filled - start) }

    /// Reading goes on from `target` (a record's start).
    func seek(to target: Int) {
        start = 0
        filled = 0
        offset = min(target, recordsEnd)
        atEnd = false
    }

    /// `count` bytes at `at`, read apart from the buffer (nil when the file has not that many).
    func read(_ count: Int, at: Int) -> UnsafeRawBufferPointer? {
        precondition(count <= Self.sideSize)
        let got = pread(descriptor, side, count, off_t(at))
        guard got == count else { return nil }
        return UnsafeRawBufferPointer(start: side, count: count)
    }
    private let side = UnsafeMutableRawPointer.allocate(byteCount: sideSize, alignment: 16)
    private static let sideSize = 64

    /// The number of records the footer gives (its magic checked, not its checksum).
    func footerCount() throws(PreflightError) -> Int {
        guard let footer = read(IDExchange.footerSize, at: recordsEnd), Array(footer[..<8]) == IDExchange.footerMagic else {
            throw .notAPartial(path: path, reason: "it is cut short or damaged (its records do not match its footer)")
        }
        return Int(truncatingIfNeeded: footer.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian)
    }

    func consumeRecord(_ length: Int) {
        sum = IDExchange.checksum(sum, adding: UnsafeRawBufferPointer(start: data + start, count: length))
        count += 1
        consume(length)
    }

    deinit {
        close(descriptor)
        data.deallocate()
        side.deallocate()
    }

    /// The next `count` bytes, not consumed (valid until the next call); nil at the file's end.
    /// A file that ends within them is cut short.
    func peek(_ count: Int) throws(PreflightError) -> UnsafeRawBufferPointer? {
        while filled - start < count {
            if atEnd {
                if filled == start { return nil }
                throw .notAPartial(path: path, reason: "it is cut short")
            }
            if start > 0 {
                memmove(data, data + start, filled - start)
                filled -= start
                start = 0
            }
            if count > capacity {
                while count > capacity { capacity *= 2 }
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
                larger.copyMemory(from: data, byteCount: filled)
                data.deallocate()
                data = larger
            }
            let got = pread(descriptor, data + filled, min(capacity - filled, recordsEnd - offset), off_t(offset))
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path, errno: errno)
            }
            if got == 0 { atEnd = true }
            filled += got
            offset += got
        }
        return UnsafeRawBufferPointer(start: data + start, count: count)
    }

    func consume(_ count: Int) { start += count }
}
