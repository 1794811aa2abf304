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

    /// The bytes of a file's head: the magic line, the version, the key, the bucket and the count.
    private static func headSize(_ magic: [UInt8]) -> Int { magic.count + 32 }

    private static func readHead(_ file: ExchangeFile, magic: [UInt8], kind: String) throws(PreflightError) -> Head {
        guard let bytes = file.bytes(headSize(magic), at: 0), Array(bytes[..<magic.count]) == magic else {
            throw .notAPartial(path: file.path, reason: "it is not a preflight \(kind) file")
        }
        func value(_ at: Int) -> UInt64 {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: magic.count + at, as: UInt64.self).littleEndian }
        }
        guard value(0) == formatVersion else {
            throw .notAPartial(path: file.path, reason: "it is a \(kind) file of format \(value(0)); this is preflight "
                               + "\(PreflightVersion.current), format \(formatVersion)")
        }
        let head = Head(key: value(8), bucket: Int(truncatingIfNeeded: value(16)), buckets: Int(truncatingIfNeeded: value(24)))
        guard head.buckets >= 1, head.buckets <= bucketLimit, head.bucket >= 0, head.bucket < head.buckets else {
            throw .notAPartial(path: file.path, reason: "it is damaged")
        }
        return head
    }

    /// `count` shards' places (24 bytes each) at `offset`.
    private static func readShards(_ file: ExchangeFile, count: Int, at offset: Int) throws(PreflightError) -> [ShardRows] {
        guard let bytes = file.bytes(24 * count, at: offset) else { throw .notAPartial(path: file.path, reason: "it is cut short") }
        var shards: [ShardRows] = []
        for index in 0..<count {
            func value(_ at: Int) -> Int {
                bytes.withUnsafeBytes {
                    Int(truncatingIfNeeded: $0.loadUnaligned(fromByteOffset: 24 * index + at, as: UInt64.self).littleEndian)
                }
            }
            let shard = ShardRows(rangeStart: value(0), firstRow: value(8), rows: value(16))
            guard shard.rangeStart >= 0, shard.firstRow >= 0, shard.rows >= 0, shard.firstRow <= Int.max - shard.rows else {
                throw .notAPartial(path: file.path, reason: "it is damaged")
            }
            shards.append(shard)
        }
        return shards
    }

    // MARK: Checking a bucket

    /// Checks one bucket: `paths` are its ids files, one from each shard (any order); the
    /// verdicts go to `output`. Memory: the out-of-core check's, its tables within `memoryLimit`
    /// (0: no limit).
    public static func checkBucket(paths: [String], output: String, memoryLimit: Int, temporaryDirectory: String?,
                                   threads: Int) throws(PreflightError) {
        guard !paths.isEmpty else { throw .notAPartial(path: "", reason: "no ids files given") }
        // Heads first, one file open at a time (a bucket has a file from each of thousands of shards).
        var inputs: [(path: String, head: Head, shard: ShardRows)] = []
        for path in paths {
            let file = try ExchangeFile(path: path)
            let head = try readHead(file, magic: idsMagic, kind: "ids")
            inputs.append((path, head, try readShards(file, count: 1, at: headSize(idsMagic))[0]))
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
            let records = file.records(from: headSize(idsMagic) + 24, headerSize: IDSpill.headerSize) {
                IDSpill.recordLength($0)
            }
            var check = RecordCheck()
            var lastRow = input.shard.firstRow
            let damaged = PreflightError.notAPartial(path: input.path, reason: "it is damaged")
            while let record = try records.advance() {
                check.add(record)
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
            }
            try file.checkFooter(check)
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
                ReplayVerdicts.encode(row: fields.row, order: fields.order, set: fields.set,
                                      firstRow: IDSpill.firstRow(of: record), at: at.baseAddress!)
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
            guard let count = file.bytes(8, at: headSize(verdictsMagic)) else {
                throw .notAPartial(path: path, reason: "it is cut short")
            }
            let shardCount = Int(truncatingIfNeeded: count.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
            guard shardCount >= 0, shardCount <= 1 << 24 else { throw .notAPartial(path: path, reason: "it is damaged") }
            let shards = try readShards(file, count: shardCount, at: headSize(verdictsMagic) + 8)
            guard shards == places else {
                let missing = places.first { !shards.contains($0) }
                throw .notAPartial(path: path, reason: "its shards are not the partials': "
                                   + (missing.map { "it has no ids of the shard of \($0)" } ?? "it has ids of other shards"))
            }
            let copy = SpillFile(descriptor: try folder.createFile(), folder: folder)
            var last: (Int, Int, Int) = (-1, -1, -1)
            let start = places.first?.firstRow ?? 0, end = places.last.map { $0.firstRow + $0.rows } ?? 0
            let size = ReplayVerdicts.recordSize
            var first = headSize(verdictsMagic) + 8 + 24 * shardCount
            if let rows {
                // Straight to the first record of a row in `rows`.
                let count = (file.recordsEnd - first) / size
                guard (file.recordsEnd - first) % size == 0, file.footer()?.count == count else {
                    throw .notAPartial(path: path, reason: "it is cut short or damaged (its records do not match its footer)")
                }
                var low = 0, high = count
                while low < high {
                    let middle = (low + high) / 2
                    guard let record = file.bytes(size, at: first + middle * size) else {
                        throw .notAPartial(path: path, reason: "it is cut short")
                    }
                    let row = record.withUnsafeBytes { VerdictReader.decode($0).row }
                    if row < rows.lowerBound { low = middle + 1 } else { high = middle }
                }
                first += low * size
            }
            let records = file.records(from: first, headerSize: size) { _ in size }
            var check = RecordCheck()
            while let record = try records.advance() {
                let verdict = VerdictReader.decode(record)
                guard verdict.key > last, verdict.firstRow >= start, verdict.firstRow < verdict.row, verdict.row < end,
                      verdict.set <= Int(UInt8.max), verdict.order >= 0 else {
                    throw .notAPartial(path: path, reason: "it is damaged")
                }
                if let rows, verdict.row >= rows.upperBound { break }
                last = verdict.key
                check.add(record)
                try copy.write(record)
            }
            if rows == nil { try file.checkFooter(check) }
            cursors.append(try ReplayVerdicts.cursor(copy))
        }
        if let missing = seen.firstIndex(where: { $0 == nil }) {
            throw .notAPartial(path: paths[0], reason: "the verdicts of bucket \(missing) of \(seen.count) are missing")
        }
        return try VerdictReader(cursors)
    }
}

/// The count and checksum of a file's records, as its footer gives them.
private struct RecordCheck: Equatable {
    var count = 0
    var sum: UInt64 = 0

    mutating func add(_ record: UnsafeRawBufferPointer) {
        sum = IDExchange.checksum(sum, adding: record)
        count += 1
    }
}

/// A file of the exchange being written: its head, its records (counted and summed), and the
/// footer that says how many there were; put in place by `commit`.
private final class ExchangeWriter {
    private let file: OutputFile
    private var check = RecordCheck()

    init(path: String, head: [UInt8]) throws(PreflightError) {
        file = try OutputFile.create(path: path)
        try write(head)
    }

    func writeRecord(_ record: [UInt8]) throws(PreflightError) {
        record.withUnsafeBytes { check.add($0) }
        try write(record)
    }

    func commit() throws(PreflightError) {
        var footer = ByteWriter()
        footer.append(IDExchange.footerMagic)
        footer.uint64(UInt64(check.count))
        footer.uint64(check.sum)
        try write(footer.bytes)
        try file.commit()
    }

    private func write(_ bytes: [UInt8]) throws(PreflightError) {
        // (`withUnsafeBytes` rethrows untyped: the typed error goes through a `Result`.)
        try bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try file.write(bytes) } }.get()
    }
}

/// A file of the exchange being read: its head's fields at known offsets, its records through a
/// `SpillCursor` up to the footer, then the footer.
private final class ExchangeFile {
    let path: String
    private let descriptor: Int32
    /// Where the records end: the footer's offset.
    let recordsEnd: Int

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
    }

    deinit { close(descriptor) }

    /// `count` bytes at `offset` (nil when the file ends before them).
    func bytes(_ count: Int, at offset: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        return PartialReader.read(descriptor, into: &bytes, at: offset) ? bytes : nil
    }

    /// The records from `offset` to the footer; one that runs into it is a file cut short.
    func records(from offset: Int, headerSize: Int, recordLength: @escaping (UnsafeRawPointer) -> Int) -> SpillCursor {
        let (descriptor, path) = (self.descriptor, self.path)
        return SpillCursor(reading: { (into, count, at) throws(PreflightError) in
            while true {
                let got = pread(descriptor, into, count, off_t(at))
                if got >= 0 { return got }
                if errno != EINTR { throw .cannotRead(path, errno: errno) }
            }
        }, from: offset, to: recordsEnd, cutShort: .notAPartial(path: path, reason: "it is cut short"),
           headerSize: headerSize, bufferSize: 1 << 16, recordLength: recordLength)
    }

    /// The footer's count and checksum (nil: no footer there).
    func footer() -> RecordCheck? {
        guard let footer = bytes(IDExchange.footerSize, at: recordsEnd), Array(footer[..<8]) == IDExchange.footerMagic else {
            return nil
        }
        return footer.withUnsafeBytes { bytes in
            RecordCheck(count: Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian),
                        sum: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
        }
    }

    /// After the last record: the footer must count and sum the records read.
    func checkFooter(_ read: RecordCheck) throws(PreflightError) {
        guard footer() == read else {
            throw .notAPartial(path: path, reason: "it is cut short or damaged (its records do not match its footer)")
        }
    }
}
