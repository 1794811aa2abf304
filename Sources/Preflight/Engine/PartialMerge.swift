#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Joins shards' partial results (`PartialFile`) into the report one run over the whole file
/// gives: the shards' chunk results go through the run's own merge in byte order — rows and lines
/// numbered by the shards before, `too_many_rows` placed, duplicate ids checked across shards
/// (out of core past the memory limit) — then the end's file-level checks.
@_spi(CommandLine) public enum PartialMerge {
    /// The partials at `paths` (any order), with the merge's own list length and memory limit.
    /// Partials that do not fit together are refused by name; a shard whose first row was misjudged
    /// (its range began inside a quoted field) is validated again from the right byte when its
    /// file is there, unchanged, else refused with the command that does it.
    ///
    /// `observers` get every row's number, line and errors as in the one run, and its bytes when
    /// the input file is there unchanged (a partial holds only where rows lie). With them the ids
    /// stay in memory (a run reads its rows again for verdicts past the limit; a merge cannot).
    ///
    /// `showsRows`: the observers need rows' bytes (the productsup report shows rows as examples,
    /// a split writes them): they are read from the input file, which must then be there, unchanged
    /// since the shards ran.
    ///
    /// `idVerdicts`: the verdict files of every bucket of the run's duplicate check done elsewhere
    /// (`IDExchange`): ids take their verdicts from them instead of being registered here, and
    /// observers then cost no memory for ids.
    public static func merge(paths: [String], maxErrors: Int, memoryLimit: Int, temporaryDirectory: String?,
                             threads: Int = 0, observers: [any RowObserver] = [], showsRows: Bool = false,
                             idVerdicts: [String] = [])
        throws(PreflightError) -> ValidationReport {
        let started = StageTimes.now
        let plan = try Plan(paths: paths, temporaryDirectory: temporaryDirectory)
        let shards = plan.shards, size = plan.size
        let first = shards[0].trailer
        var options = first.options.validationOptions(maxErrors: maxErrors, memoryLimit: memoryLimit,
                                                       temporaryDirectory: temporaryDirectory)
        options.threads = threads
        options.idsStayInMemory = !observers.isEmpty && idVerdicts.isEmpty
        // The shards to read, in order: each starts where the rows before it end.
        let used = plan.used.compactMap { $0 }

        let delivery = observers.isEmpty ? nil : RowDelivery(observers)
        // Rows' bytes for the observers: the input mapped, when it is the shards' file.
        let inputFile = delivery == nil ? nil : unchangedFile(first)
        if showsRows, inputFile == nil, size > 0 {
            throw .cannotOpen(path: first.path, reason: "rows are shown or written, and they are read from the file, "
                              + "which is missing or changed since its shards ran")
        }
        let window = inputFile.map { UnsafeRawBufferPointer(start: $0.base, count: $0.size) }
            ?? UnsafeRawBufferPointer(start: nil, count: 0)
        for observer in observers { try observer.begin(format: options.inputFormat, name: first.name) }
        var outcome = RunOutcome(options: options, firstDataRow: plan.firstDataRow, delivery: delivery)
        if !idVerdicts.isEmpty {
            outcome.merger.takeVerdicts(try IDExchange.verdicts(paths: idVerdicts, key: first.runKey, places: plan.places,
                                                                folder: TemporaryFolder(in: temporaryDirectory)))
        }
        // The state after the header, from the first shard (every shard read the same header),
        // whether or not any of its rows are used (a header with no rows after it has its errors).
        func decode(_ tag: PartialFile.Tag, _ input: inout ByteReader) throws(PartialFile.Problem) -> Block {
            try Block.decode(tag, from: &input, tracksRows: delivery != nil, inputSize: inputFile?.size)
        }
        guard case .start(let log)? = try shards[0].nextBlock(decode) else {
            throw .notAPartial(path: shards[0].path, reason: "it is damaged")
        }
        if let header = first.header, inputFile != nil {
            try delivery?.header(UnsafeRawBufferPointer(rebasing: window[header[0]..<header[1]]))
        }
        outcome.merger.log.addCounts(of: log)
        for issue in log.listed {
            outcome.merger.log.list(issue)
            try delivery?.fileIssue(issue)
        }
        outcome.notices = first.notices
        outcome.merger.nextLine = first.lineAfterHeader
        outcome.merger.lineEndings.add(LineEndings(lf: first.headerLineEndings[0], crlf: first.headerLineEndings[1]))
        // Every shard read bytes, used or not: whatever any saw counts for emptiness.
        let sawContent = shards.contains { $0.trailer.sawContent }
        // The id table is sized from the first chunks and the rows of all shards, as a run sizes it
        // from its first window and the input's size (growing it step by step rehashes it again and again).
        let totalRows = used.reduce(0) { $0 &+ $1.trailer.rows }  // each at most the file's size
        var sized = false
        for shard in used {
            while let block = try shard.nextBlock(decode) {
                switch block {
                case .start:
                    continue  // the first shard's was taken above; the others' are the same
                case .chunks(let results):
                    let rows = results.reduce(0) { $0 + $1.rows }
                    if !sized, rows > 0, totalRows > 0, idVerdicts.isEmpty {
                        sized = true
                        try outcome.merger.reserveIDs(like: results, share: Double(rows) / Double(totalRows),
                                                      rows: totalRows)
                    }
                    try outcome.merger.merge(results, window: window)
                case .advance(let lines, let lineEndings, let bytes):
                    // The end of a row longer than a shard's window: its bytes, then its lines.
                    if inputFile != nil, bytes.upperBound <= window.count {
                        try delivery?.rowBytes(UnsafeRawBufferPointer(rebasing: window[bytes]))
                    }
                    try delivery?.endRow()
                    outcome.merger.advance(lines: lines, lineEndings: lineEndings)
                }
            }
        }
        try outcome.finish(sizeBytes: size, isEmpty: !sawContent, options: options)
        var report = outcome.report(name: first.name, sizeBytes: size, options: options)
        try delivery?.handOverHeldIssues()
        for observer in observers { try observer.finish() }
        report.seconds = StageTimes.now - started
        return report
    }

    /// The path of the file a partial is of (nil: standard input, or not a partial).
    public static func inputPath(ofPartial path: String) -> String? {
        guard let reader = try? PartialReader(path: path), reader.trailer.path != "-" else { return nil }
        return reader.trailer.path
    }

    /// A block of a partial, decoded.
    enum Block {
        case start(IssueLog)
        case chunks([ChunkResult])
        case advance(lines: Int, lineEndings: LineEndings, bytes: Range<Int>)

        static func decode(_ tag: PartialFile.Tag, from input: inout ByteReader, tracksRows: Bool, inputSize: Int?)
            throws(PartialFile.Problem) -> Block {
            switch tag {
            case .start:
                return .start(try IssueLog.decode(from: &input))
            case .chunks:
                var results: [ChunkResult] = []
                for _ in 0..<(try input.count()) {
                    results.append(try ChunkResult.decode(from: &input, tracksRows: tracksRows, inputSize: inputSize))
                }
                return .chunks(results)
            case .advance:
                let lines = try input.varint()
                let endings = LineEndings(lf: try input.varint(), crlf: try input.varint())
                let start = try input.count(unit: 0)
                let end = try ByteReader.sum(start, try input.count(unit: 0))
                return .advance(lines: lines, lineEndings: endings, bytes: start..<end)
            case .trailer:
                throw .damaged
            }
        }
    }

    /// Every partial is of the same file, with the same options.
    static func checkTheyBelongTogether(_ shards: [PartialReader]) throws(PreflightError) {
        let first = shards[0]
        for shard in shards.dropFirst() {
            let (a, b) = (first.trailer, shard.trailer)
            func known<T: Equatable>(_ x: T?, _ y: T?) -> Bool { x == nil || y == nil || x == y }
            if a.name != b.name || !known(a.size, b.size) || !known(a.modified, b.modified) {
                func describe(_ trailer: PartialFile.Trailer) -> String {
                    trailer.name + (trailer.size.map { ", \($0) bytes" } ?? "")
                }
                throw .notAPartial(path: shard.path, reason: "it is of another file (\(describe(b))) than \(first.path) "
                                   + "(\(describe(a)))")
            }
            if a.options != b.options {
                throw .notAPartial(path: shard.path, reason: "it was validated with other options or another schema "
                                   + "than \(first.path)")
            }
        }
    }

    /// The ranges cover the file from its first byte to its last, each once.
    static func checkCoverage(_ shards: [PartialReader], size: Int) throws(PreflightError) {
        var end = 0
        for (index, shard) in shards.enumerated() {
            let trailer = shard.trailer
            if trailer.rangeStart > end {
                throw .notAPartial(path: shard.path, reason: "bytes \(end)-\(trailer.rangeStart) of \(trailer.name) "
                                   + "are in no partial result: a shard is missing before this one")
            }
            if trailer.rangeStart < end {
                let earlier = shards[index - 1]
                let same = earlier.trailer.rangeStart == trailer.rangeStart && earlier.trailer.rangeEnd == trailer.rangeEnd
                throw .notAPartial(path: shard.path, reason: same
                                   ? "it is the same shard (bytes \(trailer.rangeStart)-\(trailer.rangeEnd)) as \(earlier.path)"
                                   : "its bytes \(trailer.rangeStart)-\(trailer.rangeEnd) overlap those of \(earlier.path)")
            }
            end = trailer.rangeEnd
        }
        let last = shards[shards.count - 1]
        if end != size {
            throw .notAPartial(path: last.path, reason: "bytes \(end)-\(size) of \(last.trailer.name) are "
                               + "in no partial result: a shard is missing after this one")
        }
    }

    /// `text` as one shell word: as it is when it holds only safe characters, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "/._-+=:,@%".utf8.contains(byte)
        }
        return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The shards' input, mapped, when it is there with the size and modification time they saw.
    static func unchangedFile(_ trailer: PartialFile.Trailer) -> MappedFile? {
        guard trailer.path != "-", let size = trailer.size, trailer.modified != nil,
              Validator.modificationTime(of: trailer.path) == trailer.modified else { return nil }
        let descriptor = open(trailer.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) == size,
              let file = MappedFile(descriptor: descriptor, size: size) else {
            close(descriptor)
            return nil
        }
        return file
    }

    /// A shard whose first row is not where the rows before it end (its range began inside a
    /// quoted field): validated again from `firstRow` when its file is there and unchanged.
    /// `allowed`: false to name the mending command even when the file is there.
    static func repair(_ shard: PartialReader, from firstRow: Int, options: PartialFile.Options,
                       in folder: inout TemporaryFolder?, temporaryDirectory: String?, allowed: Bool = true)
        throws(PreflightError) -> PartialReader {
        let trailer = shard.trailer
        var info = stat()
        let reachable = trailer.path != "-" && stat(trailer.path, &info) == 0 && Int(info.st_size) == trailer.size
            && trailer.modified != nil && Validator.modificationTime(of: trailer.path) == trailer.modified
        guard allowed, reachable else {
            // Standard input: the bytes from the row's start on will do (the header first, for CSV).
            var input = trailer.path == "-"
                ? "- --format \(options.format.rawValue) --byte-range-base \(firstRow) --name \(shellQuoted(trailer.name))"
                    + (trailer.size.map { " --file-size \($0)" } ?? "")
                : shellQuoted(trailer.path)
            if options.format == .csv, options.delimiter != UInt8(ascii: ",") {
                input += " --delimiter " + (options.delimiter == 0x09 ? "tab" : shellQuoted(String(UnicodeScalar(options.delimiter))))
            }
            let why = options.format == .csv ? " (its range began inside a quoted field it did not recognise)" : ""
            throw .notAPartial(path: shard.path, reason: "its rows were read from byte \(trailer.firstRow), but the "
                               + "row before them ends at byte \(firstRow)\(why); "
                               + "validate it again with `preflight validate \(input) --byte-range "
                               + "\(trailer.rangeStart)-\(trailer.rangeEnd) --first-row-at \(firstRow) --partial "
                               + "\(shellQuoted(shard.path))` and the same options")
        }
        if folder == nil { folder = try TemporaryFolder(in: temporaryDirectory) }
        let path = folder!.path + "/shard-\(trailer.rangeStart).partial"
        var validation = options.validationOptions(maxErrors: 0, memoryLimit: 0, temporaryDirectory: temporaryDirectory)
        validation.threads = 1
        try Validator.shard(path: trailer.path, range: trailer.rangeStart..<trailer.rangeEnd, firstRowAt: firstRow,
                                    options: validation, partial: path)
        let repaired = try PartialReader(path: path, keepsOpen: true)
        unlink(path)  // open: the file goes when the reader does
        return repaired
    }
}

extension PartialMerge {
    /// Writes one shard's part of the run's split: its rows with a row-level error to `rejects`,
    /// the others to `clean`, as they came in — with the CSV header in front for the file's first
    /// shard — so that the parts of every shard, joined in range order, are byte for byte the
    /// files `validate --rejects --clean` writes. The rows are numbered from the run's plan file
    /// (`writePlan`) when `plan` is given, else from `paths`, every partial of the run (`shard`
    /// one of them). Duplicates across shards come from `idVerdicts`
    /// (`IDExchange`), required when the options check ids or `unique` columns. The rows are read
    /// from the input file, which must be there unchanged. The errors file (`FILE.errors.ndjson`)
    /// is the merge's to write: its lines carry line numbers and file-level errors, which only the
    /// whole run knows.
    public static func writeSplitPart(paths: [String], plan: String? = nil, shard: String, idVerdicts: [String],
                                      rejects: OutputFile?, clean: OutputFile?, temporaryDirectory: String?)
        throws(PreflightError) {
        let run = try ShardInRun(shard: shard, plan: plan, paths: paths, temporaryDirectory: temporaryDirectory)
        let first = run.trailer
        let options = first.options.validationOptions(maxErrors: 0, memoryLimit: 0, temporaryDirectory: temporaryDirectory)
        let checksDuplicates = (options.uniqueIDs && !options.schema.idColumns.isEmpty)
            || options.schema.columns.contains { $0.constraints.unique }
        if checksDuplicates, idVerdicts.isEmpty {
            throw .notAPartial(path: shard, reason: "a part's rows need the duplicate verdicts of the whole run "
                               + "(preflight check-ids): give them with --id-verdicts")
        }
        let splitter = try RowSplitter(rejects: rejects, clean: clean, sidecar: nil, layout: .asInput)
        // A file of nothing but whitespace has no rows and no header in the split.
        guard run.sawContent else {
            try splitter.finish()
            return
        }
        guard let inputFile = unchangedFile(first) else {
            throw .cannotOpen(path: first.path, reason: "a part's rows are read from the file, which is missing or changed "
                              + "since its shards ran")
        }
        let window = UnsafeRawBufferPointer(start: inputFile.base, count: inputFile.size)
        let delivery = RowDelivery([splitter])
        if run.index == 0, let header = first.header {
            try delivery.header(UnsafeRawBufferPointer(rebasing: window[header[0]..<header[1]]))
        }
        if let reader = run.reader {
            var outcome = RunOutcome(options: options, firstDataRow: run.firstDataRow, delivery: delivery)
            // Lines are not known to a part (they count those of every shard before); the split
            // does not use them.
            outcome.merger.start(atRow: run.place.firstRow, line: 1)
            if !idVerdicts.isEmpty {
                // Only this shard's rows' verdicts are read.
                let rows = run.place.firstRow..<(run.place.firstRow + run.place.rows)
                outcome.merger.takeVerdicts(try IDExchange.verdicts(
                    paths: idVerdicts, key: run.key, places: run.places, rows: rows,
                    folder: TemporaryFolder(in: temporaryDirectory)))
            }
            while let block = try reader.nextBlock({ (tag, input) throws(PartialFile.Problem) in
                try Block.decode(tag, from: &input, tracksRows: true, inputSize: inputFile.size)
            }) {
                switch block {
                case .start:
                    continue  // the header's errors: the merge's errors file has them
                case .chunks(let results):
                    try outcome.merger.merge(results, window: window)
                case .advance(let lines, let lineEndings, let bytes):
                    if bytes.upperBound <= window.count {
                        try delivery.rowBytes(UnsafeRawBufferPointer(rebasing: window[bytes]))
                    }
                    try delivery.endRow()
                    outcome.merger.advance(lines: lines, lineEndings: lineEndings)
                }
            }
        }
        try splitter.finish()
    }
}
