import Foundation

/// A shard's partial result: what validating the rows whose first byte lies in a byte range of a
/// file gave, for `PartialMerge` to join with the other shards' into the report of one run over
/// the whole file.
///
/// The file is the magic line, then blocks — each a tag byte, a length (8 bytes, little-endian)
/// and that many bytes — and ends with the offset of its last block, the trailer (8 bytes):
/// - `start`: the header's errors (an `IssueLog`), as every shard reads the header;
/// - `chunks`: the chunk results the shard's run would have merged, in order, with shard-local
///   rows and lines (every error listed, every id kept: the merge numbers them and checks
///   duplicates across shards);
/// - `advance`: the lines and line endings of a row longer than the window, after its chunk;
/// - `trailer`: JSON (`Trailer`): the file, the options, the range, where the rows began and
///   ended, and the state after the header.
enum PartialFile {
    static let magic = Array("PREFLIGHT-PARTIAL\n".utf8)
    /// The version of this layout; a partial of another version is refused by name.
    static let formatVersion = 1

    enum Tag: UInt8 {
        case start = 1
        case chunks = 2
        case advance = 3
        case trailer = 4
    }

    /// A file that is not a partial, or one cut short.
    enum Problem: Error {
        case damaged
    }

    /// What the merge checks and uses, as JSON at the end of the file.
    struct Trailer: Codable, Equatable {
        var formatVersion: Int
        var preflightVersion: String
        /// The input as the report names it, and the path it was read from ("-": standard input).
        var name: String
        var path: String
        /// The whole input's size and modification time (seconds); nil for standard input (the
        /// size is then the last range's end).
        var size: Int?
        var modified: Int?
        var options: Options
        /// For standard input: the file offset its bytes (after a CSV header) started at.
        var base: Int?
        var rangeStart: Int
        var rangeEnd: Int
        /// Where the shard's first row starts (its end when it has none), as the shard judged it:
        /// after the first line break at or after `rangeStart - 1` read as outside quotes, or as
        /// inside (CSV: whichever the following records parse better as), or the header's end, or
        /// `--first-row-at`.
        var firstRow: Int
        /// The other of the two (nil: not found in the shard's first window).
        var otherFirstRow: Int?
        /// Where the row after the shard's last starts: the next shard's first row, when both
        /// judged right.
        var rowsEnd: Int
        /// Whether anything but whitespace was read (the merge's `empty_payload`).
        var sawContent: Bool
        /// After the header: the line the rows start on, and the header's line endings.
        var lineAfterHeader: Int
        var headerLineEndings: [Int]
        /// The notices found before the rows (a BOM, the header's).
        var notices: [Notice]
        /// Where the CSV header record lies in the input (start, end), when it was read.
        var header: [Int]?
        /// Data rows in the shard.
        var rows: Int
    }

}

extension PartialFile.Trailer {
    /// Whether its places can be those of a shard (a damaged or forged trailer must not make the
    /// merge skip rows or read outside the file).
    var isConsistent: Bool {
        let end = size ?? Int.max
        let emptyFile = rangeStart == 0 && rangeEnd == 0
        guard rangeStart >= 0, rangeStart < rangeEnd || emptyFile, rangeEnd <= end,
              firstRow >= 0, firstRow <= rowsEnd, rowsEnd <= end, (otherFirstRow ?? 0) >= 0, (base ?? 0) >= 0,
              rows >= 0, rows <= rowsEnd - firstRow + 1, lineAfterHeader >= 1,
              headerLineEndings.count == 2, headerLineEndings.allSatisfy({ $0 >= 0 }) else { return false }
        if let header {
            guard header.count == 2, header[0] >= 0, header[0] <= header[1], header[1] <= end else { return false }
        }
        return true
    }
}

extension PartialFile {
    /// The options that decide a run's answers (the merge uses the first partial's, and refuses
    /// partials whose options differ).
    struct Options: Codable, Equatable {
        var schema: Schema
        var format: InputFormat
        var delimiter: UInt8
        var lineCap: Int
        var maxFileSize: Int
        var maxRows: Int
        var uniqueIDs: Bool

        init(_ options: ValidationOptions) {
            schema = options.schema
            format = options.inputFormat
            delimiter = options.fieldDelimiter
            lineCap = options.lineCap
            maxFileSize = options.maxFileSize
            maxRows = options.maxRows
            uniqueIDs = options.uniqueIDs
        }

        /// Validation options with these answers, and the merge's own list length and memory.
        func validationOptions(maxErrors: Int, memoryLimit: Int, temporaryDirectory: String?) -> ValidationOptions {
            var options = ValidationOptions(schema: schema, format: format)
            options.delimiter = delimiter
            options.lineCap = lineCap
            options.maxFileSize = maxFileSize
            options.maxRows = maxRows
            options.uniqueIDs = uniqueIDs
            options.maxErrors = maxErrors
            options.memoryLimit = memoryLimit
            options.temporaryDirectory = temporaryDirectory
            return options
        }
    }
}

/// Writes a partial result's file as the shard's run goes (through a temporary file renamed at
/// the end: a shard that fails leaves no partial behind).
final class PartialWriter {
    private let output: OutputFile
    private var block = ByteWriter()
    private(set) var rows = 0

    init(output: OutputFile) throws(PreflightError) {
        self.output = output
        try PartialFile.magic.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try output.write(bytes) } }
            .get()
        written = PartialFile.magic.count
    }

    /// Bytes written so far (where the next block starts).
    private var written: Int

    private func writeBlock(_ tag: PartialFile.Tag) throws(PreflightError) {
        var head = ByteWriter()
        head.uint64(UInt64(block.bytes.count))
        try output.write(byte: tag.rawValue)
        try head.bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try output.write(bytes) } }.get()
        try block.bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try output.write(bytes) } }.get()
        written += 9 + block.bytes.count
        block.removeAll()
    }

    /// The header's errors (every shard reads the header; the merge takes the first shard's).
    func start(_ log: IssueLog) throws(PreflightError) {
        log.encode(into: &block)
        try writeBlock(.start)
    }

    /// A window's chunk results, in order; the window lies at `windowOffset` of the input.
    func chunks(_ results: [ChunkResult], windowOffset: Int) throws(PreflightError) {
        block.varint(results.count)
        for result in results {
            result.encode(into: &block, windowOffset: windowOffset)
            rows += result.rows
        }
        try writeBlock(.chunks)
    }

    /// A row longer than the window ended: its lines and line endings, and where its bytes lie.
    func advance(lines: Int, lineEndings: LineEndings, bytes: Range<Int>) throws(PreflightError) {
        block.varint(lines)
        block.varint(lineEndings.lf)
        block.varint(lineEndings.crlf)
        block.varint(bytes.lowerBound)
        block.varint(bytes.count)
        try writeBlock(.advance)
    }

    /// Writes the trailer and commits the file.
    func finish(_ trailer: PartialFile.Trailer) throws(PreflightError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(trailer) else { throw .internalFailure("cannot encode a partial's trailer") }
        let trailerOffset = written
        block.append(json)
        try writeBlock(.trailer)
        block.uint64(UInt64(trailerOffset))
        try block.bytes.withUnsafeBytes { bytes in Result { () throws(PreflightError) in try output.write(bytes) } }.get()
        try output.flush()
        try output.commit()
    }
}

/// Reads a partial result's file: its trailer first (from the end), then its blocks in order, one
/// in memory at a time.
final class PartialReader {
    let path: String
    let trailer: PartialFile.Trailer
    /// Open while its blocks are read (a merge of thousands of partials holds one or two open),
    /// or for as long as the reader lives (`keepsOpen`: a file already unlinked).
    private var descriptor: Int32
    private let keepsOpen: Bool
    /// The file's size and modification time when its trailer was read: reopened, it must match.
    private let identity: [Int]
    /// Where the blocks end (the trailer's offset).
    private let blocksEnd: Int
    private var position = PartialFile.magic.count
    private var block: [UInt8] = []

    /// A partial that is not one, is cut short, or is of another format version is refused.
    init(path: String, keepsOpen: Bool = false) throws(PreflightError) {
        self.path = path
        self.keepsOpen = keepsOpen
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw .cannotRead(path, errno: errno)
        }
        let size = Int(info.st_size)
        let notPartial = PreflightError.notAPartial(path: path, reason: "it is not a preflight partial result")
        var magic = [UInt8](repeating: 0, count: PartialFile.magic.count)
        var end = [UInt8](repeating: 0, count: 8)
        guard size >= magic.count + 8 + 9, Self.read(descriptor, into: &magic, at: 0),
              magic == PartialFile.magic, Self.read(descriptor, into: &end, at: size - 8) else {
            close(descriptor)
            throw notPartial
        }
        let offset = Int(exactly: UInt64(littleEndian: end.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })) ?? -1
        var head = [UInt8](repeating: 0, count: 9)
        guard offset >= magic.count, offset + 9 <= size - 8, Self.read(descriptor, into: &head, at: offset),
              head[0] == PartialFile.Tag.trailer.rawValue else {
            close(descriptor)
            throw .notAPartial(path: path, reason: "it is cut short or damaged")
        }
        let length = Int(exactly: UInt64(littleEndian: head.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
        })) ?? -1
        var json = [UInt8](repeating: 0, count: max(0, min(length, size)))
        guard length >= 0, length == size - 8 - 9 - offset, Self.read(descriptor, into: &json, at: offset + 9),
              let trailer = try? JSONDecoder().decode(PartialFile.Trailer.self, from: Data(json)) else {
            close(descriptor)
            throw .notAPartial(path: path, reason: "it is cut short or damaged")
        }
        guard trailer.formatVersion == PartialFile.formatVersion else {
            close(descriptor)
            throw .notAPartial(path: path, reason: "it is a partial of format \(trailer.formatVersion) (preflight "
                               + "\(trailer.preflightVersion)); this is preflight \(PreflightVersion.current), format "
                               + "\(PartialFile.formatVersion)")
        }
        guard trailer.isConsistent else {
            close(descriptor)
            throw .notAPartial(path: path, reason: "its trailer is damaged (offsets that cannot be)")
        }
        self.trailer = trailer
        blocksEnd = offset
        identity = Self.identity(info)
        if !keepsOpen {
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    private static func identity(_ info: stat) -> [Int] {
        [Int(info.st_size), info.modificationTime.seconds, info.modificationTime.nanoseconds]
    }

    /// Reads `count` bytes (all of `target` when nil) at `offset`; false when the file ends first.
    static func read(_ descriptor: Int32, into target: inout [UInt8], count: Int? = nil, at offset: Int) -> Bool {
        let count = count ?? target.count
        var done = 0
        while done < count {
            let got = target.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { return false }
            done += got
        }
        return true
    }

    /// The next block: its tag and a reader over its bytes (valid until the next call); nil at the end.
    func nextBlock<T>(_ body: (PartialFile.Tag, inout ByteReader) throws(PartialFile.Problem) -> T)
        throws(PreflightError) -> T? {
        guard position < blocksEnd else {
            if !keepsOpen, descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            return nil
        }
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .cannotOpen(path, errno: errno) }
            var info = stat()
            guard fstat(descriptor, &info) == 0, Self.identity(info) == identity else {
                throw .notAPartial(path: path, reason: "it changed while the merge read it")
            }
        }
        var head = [UInt8](repeating: 0, count: 9)
        guard position + 9 <= blocksEnd, Self.read(descriptor, into: &head, at: position),
              let tag = PartialFile.Tag(rawValue: head[0]) else { throw .notAPartial(path: path, reason: "it is damaged") }
        let length = Int(exactly: UInt64(littleEndian: head.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
        })) ?? -1
        guard length >= 0, length <= blocksEnd - position - 9 else { throw .notAPartial(path: path, reason: "it is damaged") }
        // One buffer for every block (grown, not zeroed anew per block).
        if block.count < length { block = [UInt8](repeating: 0, count: max(length, block.count * 2)) }
        guard Self.read(descriptor, into: &block, count: length, at: position + 9) else {
            throw .notAPartial(path: path, reason: "it is cut short")
        }
        position += 9 + length
        let result = block.withUnsafeBytes { all -> Result<T, PartialFile.Problem> in
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: all[..<length]))
            return Result { () throws(PartialFile.Problem) in
                let value = try body(tag, &reader)
                guard reader.isAtEnd else { throw .damaged }
                return value
            }
        }
        switch result {
        case .success(let value): return value
        case .failure: throw .notAPartial(path: path, reason: "it is damaged")
        }
    }
}

extension PartialFile.Trailer {
    /// The run a partial belongs to, in 64 bits: its file (name, size, modification time) and its
    /// options. The files of a sharded duplicate check carry it (`IDExchange`), so that one run's
    /// are not taken for another's.
    var runKey: UInt64 {
        struct Key: Encodable {
            var name: String
            var size: Int?
            var modified: Int?
            var options: PartialFile.Options
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(Key(name: name, size: size, modified: modified, options: options))) ?? Data()
        return json.withUnsafeBytes { IDRegistry.hash($0) }
    }
}
