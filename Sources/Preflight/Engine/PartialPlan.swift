import Foundation

extension PartialMerge {
    /// A run's partials put in order: of one file and options, covering it (`merge` refuses them
    /// by name otherwise), each shard's rows starting where the rows before it end (a misjudged
    /// shard is validated again, or refused with the command that mends it), and each shard's
    /// place among the run's rows.
    struct Plan {
        /// Every partial, in range order.
        let shards: [PartialReader]
        /// Each shard's rows as used (a shard validated again in place of a misjudged one); nil
        /// for a shard whose whole range lies in a row before it.
        let used: [PartialReader?]
        /// Each shard's range start, first row's number and rows, in range order.
        let places: [IDExchange.ShardRows]
        /// The file's size (for standard input: the last range's end).
        let size: Int
        /// The number of the file's first data row (CSV: 2, after the header).
        let firstDataRow: Int

        /// `repairs`: false to refuse a misjudged shard (naming the command that mends it) even
        /// when its file is there (a plan for other machines cannot hand them a shard read here).
        init(paths: [String], temporaryDirectory: String?, repairs: Bool = true) throws(PreflightError) {
            guard !paths.isEmpty else { throw .notAPartial(path: "", reason: "no partial results given") }
            var shards = try paths.map { (path) throws(PreflightError) in try PartialReader(path: path) }
            try PartialMerge.checkTheyBelongTogether(shards)
            shards.sort { $0.trailer.rangeStart < $1.trailer.rangeStart }
            // Shards read from standard input do not know the file's size: the last range ends there.
            size = shards.lazy.compactMap(\.trailer.size).first ?? shards[shards.count - 1].trailer.rangeEnd
            try PartialMerge.checkCoverage(shards, size: size)
            let first = shards[0].trailer
            firstDataRow = first.options.format == .csv ? 2 : 1
            var used: [PartialReader?] = [], places: [IDExchange.ShardRows] = []
            var repairFolder: TemporaryFolder?
            var expected = first.firstRow
            var row = firstDataRow
            for shard in shards {
                let trailer = shard.trailer
                var taken: PartialReader?
                if expected < trailer.rangeEnd {  // else a row before it covers its whole range
                    taken = trailer.firstRow == expected ? shard
                        : try PartialMerge.repair(shard, from: expected, options: first.options, in: &repairFolder,
                                                  temporaryDirectory: temporaryDirectory, allowed: repairs)
                    expected = taken!.trailer.rowsEnd
                }
                let rows = taken?.trailer.rows ?? 0
                used.append(taken)
                places.append(.init(rangeStart: trailer.rangeStart, firstRow: row, rows: rows))
                row += rows
            }
            self.shards = shards
            self.used = used
            self.places = places
        }

        /// Where the partial at `path` (as named among the paths) is in range order.
        func index(of path: String) throws(PreflightError) -> Int {
            guard let index = shards.firstIndex(where: { $0.path == path }) else {
                throw .notAPartial(path: path, reason: "it is not among the partials named")
            }
            return index
        }
    }
}


/// One shard of a run, as the commands that work on one shard's machine see it (`partial-ids`,
/// `split-part`): its rows (nil when its range lies inside a row before it), its place among the
/// run's rows and every shard's, from all the run's partials or from the run's plan file.
struct ShardInRun {
    /// The shard's rows as used (a shard validated again in place of a misjudged one).
    let reader: PartialReader?
    /// The shard's trailer (the file, options and header every shard shares).
    let trailer: PartialFile.Trailer
    /// Its position in range order, and every shard's place.
    let index: Int
    let places: [IDExchange.ShardRows]
    let key: UInt64
    /// Whether any shard read more than whitespace (a run of nothing else has no rows).
    let sawContent: Bool
    let firstDataRow: Int

    var place: IDExchange.ShardRows { places[index] }

    /// From the run's plan file when there is one, else from every partial of the run.
    init(shard: String, plan: String?, paths: [String], temporaryDirectory: String?) throws(PreflightError) {
        if let plan {
            try self.init(planPath: plan, shard: shard)
        } else {
            try self.init(paths: paths, shard: shard, temporaryDirectory: temporaryDirectory)
        }
    }

    /// From every partial of the run: `shard` is one of `paths`.
    init(paths: [String], shard: String, temporaryDirectory: String?) throws(PreflightError) {
        let plan = try PartialMerge.Plan(paths: paths, temporaryDirectory: temporaryDirectory)
        index = try plan.index(of: shard)
        reader = plan.used[index]
        trailer = plan.shards[index].trailer
        places = plan.places
        key = plan.shards[0].trailer.runKey
        sawContent = plan.shards.contains { $0.trailer.sawContent }
        firstDataRow = plan.firstDataRow
    }

    /// From the run's plan file (`PartialMerge.writePlan`): `shard` must be the partial the plan
    /// took for its range (a shard validated again, not the misjudged one), of the same run.
    init(planPath: String, shard: String) throws(PreflightError) {
        let plan = try PlanFile.read(path: planPath)
        let given = try PartialReader(path: shard)
        let trailer = given.trailer
        guard String(trailer.runKey, radix: 16) == plan.key else {
            throw .notAPartial(path: shard, reason: "it is of another file or other options than the plan \(planPath)")
        }
        guard let index = plan.shards.firstIndex(where: { $0.rangeStart == trailer.rangeStart }) else {
            throw .notAPartial(path: shard, reason: "the plan \(planPath) has no shard of bytes from \(trailer.rangeStart)")
        }
        let entry = plan.shards[index]
        if let firstByte = entry.firstByte {
            guard trailer.firstRow == firstByte, trailer.rows == entry.rows else {
                throw .notAPartial(path: shard, reason: "the plan \(planPath) takes the rows of this range from byte "
                                   + "\(firstByte) (\(entry.rows) rows), this partial from byte \(trailer.firstRow) "
                                   + "(\(trailer.rows) rows): give the partial the plan was made with")
            }
            reader = given
        } else {
            reader = nil
        }
        self.trailer = trailer
        self.index = index
        places = plan.shards.map { .init(rangeStart: $0.rangeStart, firstRow: $0.firstRowNumber, rows: $0.rows) }
        key = trailer.runKey
        sawContent = plan.sawContent
        firstDataRow = plan.firstDataRow
    }
}

/// A run's plan, written once (`PartialMerge.writePlan`) for the machines that work on one shard
/// each, so that each reads its own partial and the plan instead of every partial's trailer.
/// JSON: the run's key, and each shard's range start, the number of its first row in the file,
/// its rows and the byte its rows start at (none for a shard inside a row before it).
struct PlanFile: Codable {
    struct Entry: Codable {
        var rangeStart: Int
        var firstRowNumber: Int
        var rows: Int
        var firstByte: Int?
    }

    static let formatVersion = 1
    var format = "preflight-plan"
    var formatVersion = PlanFile.formatVersion
    var key: String
    var firstDataRow: Int
    var sawContent: Bool
    var shards: [Entry]

    static func read(path: String) throws(PreflightError) -> PlanFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotOpen(path, errno: errno == 0 ? ENOENT : errno)
        }
        guard let plan = try? JSONDecoder().decode(PlanFile.self, from: data), plan.format == "preflight-plan" else {
            throw .notAPartial(path: path, reason: "it is not a preflight plan")
        }
        guard plan.formatVersion == formatVersion else {
            throw .notAPartial(path: path, reason: "it is a plan of format \(plan.formatVersion); this is preflight "
                               + "\(PreflightVersion.current), format \(formatVersion)")
        }
        var row = plan.firstDataRow, end = -1
        for entry in plan.shards {
            // In range order, numbered without gaps: a damaged plan must not misnumber rows.
            guard entry.rangeStart > end, entry.firstRowNumber == row, entry.rows >= 0,
                  entry.rows <= Int.max - row, (entry.firstByte ?? 0) >= 0, entry.firstByte != nil || entry.rows == 0 else {
                throw .notAPartial(path: path, reason: "it is damaged")
            }
            end = entry.rangeStart
            row += entry.rows
        }
        guard plan.firstDataRow == 1 || plan.firstDataRow == 2, !plan.shards.isEmpty else {
            throw .notAPartial(path: path, reason: "it is damaged")
        }
        return plan
    }
}

extension PartialMerge {
    /// Writes the plan of the run whose partials are `paths` to `output`: the shards in order,
    /// each starting where the rows before it end (a misjudged shard is refused with the command
    /// that mends it: the machines that use the plan read their own partials).
    public static func writePlan(paths: [String], output: String) throws(PreflightError) {
        let plan = try Plan(paths: paths, temporaryDirectory: nil, repairs: false)
        let file = PlanFile(key: String(plan.shards[0].trailer.runKey, radix: 16), firstDataRow: plan.firstDataRow,
                            sawContent: plan.shards.contains { $0.trailer.sawContent },
                            shards: zip(plan.places, plan.used).map { place, used in
                                .init(rangeStart: place.rangeStart, firstRowNumber: place.firstRow, rows: place.rows,
                                      firstByte: used?.trailer.firstRow)
                            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let json = try? encoder.encode(file) else { throw .internalFailure("cannot encode a plan") }
        let out = try OutputFile.create(path: output)
        try Array(json + [0x0A]).withUnsafeBytes { bytes in Result { () throws(PreflightError) in try out.write(bytes) } }.get()
        try out.commit()
    }
}
