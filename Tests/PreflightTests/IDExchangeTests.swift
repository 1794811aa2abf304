import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The duplicate check of a sharded run spread over processes (ids in hash buckets, each bucket
/// checked alone) and the split written in parts: the merge with the buckets' verdicts, and the
/// parts joined in order, are the one run's, byte for byte.
final class IDExchangeTests: CLITestCase {
    private func options(_ format: InputFormat, maxRows: Int = 0) -> ValidationOptions {
        var options = ValidationOptions(schema: ShardTests.schema, format: format)
        options.threads = 2
        options.windowSize = 1 << 12
        options.lineCap = 120
        options.maxErrors = 0
        options.maxRows = maxRows
        options.maxFileSize = 0
        options.memoryLimit = 0
        return options
    }

    /// Validates again, in place, every shard whose first row is not where the rows before it end
    /// (as the Spark job's rounds do): a plan is made of partials that fit.
    private func mend(_ partials: [String], path: String, options: ValidationOptions) throws {
        let plan = try PartialMerge.Plan(paths: partials, temporaryDirectory: scratch.path)
        for (shard, used) in zip(plan.shards, plan.used) {
            guard let used, used.trailer.firstRow != shard.trailer.firstRow else { continue }
            try Validator.shard(path: path, range: shard.trailer.rangeStart..<shard.trailer.rangeEnd,
                                firstRowAt: used.trailer.firstRow, options: options, partial: shard.path)
        }
    }

    /// Every shard's ids in `buckets` buckets, each bucket checked: the verdict files.
    /// `plan`: the run's plan file, which the shards' steps then read instead of every partial.
    private func exchange(_ partials: [String], buckets: Int, tag: String, memoryLimit: Int = 0,
                          plan: String? = nil) throws -> [String] {
        var folders: [String] = []
        for (index, partial) in partials.enumerated() {
            let folder = scratch.appendingPathComponent("\(tag)-ids-\(index)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try IDExchange.writeBuckets(paths: plan == nil ? partials : [], plan: plan, shard: partial, buckets: buckets,
                                        directory: folder, temporaryDirectory: scratch.path)
            folders.append(folder)
        }
        return try (0..<buckets).map { bucket in
            let output = scratch.appendingPathComponent("\(tag)-\(bucket).verdicts").path
            // The shards' files in any order: the check puts them in row order.
            try IDExchange.checkBucket(paths: folders.reversed().map { $0 + "/" + IDExchange.idsFileName(bucket: bucket) },
                                       output: output, memoryLimit: memoryLimit, temporaryDirectory: scratch.path, threads: 2)
            return output
        }
    }

    private func render(_ report: ValidationReport, _ style: ReportStyle) throws -> String {
        var report = report
        report.seconds = 0
        return String(decoding: try ReportRenderer(style: style).render(report), as: UTF8.self)
    }

    func testBucketedDuplicateCheckAndSplitPartsEqualTheOneRun() throws {
        var random = SplitTests.Random(state: 77)
        for (format, seed) in [(InputFormat.csv, UInt64(3)), (.ndjson, 4), (.csv, 5)] {
            let bytes = format == .csv ? ShardTests.csv(rows: 500, seed: seed, bom: seed == 5) : ShardTests.ndjson(rows: 500, seed: seed)
            let path = try file("data-\(seed)", bytes: bytes)
            let maxRows = seed == 5 ? 300 : 0
            let options = self.options(format, maxRows: maxRows)
            let single = try Validator.validate(path: path, options: options)
            XCTAssertGreaterThan(single.errorCounts.keys.filter { $0.contains("duplicate") }.count, 0)
            let cuts = Set((0..<(2 + random.below(6))).map { _ in 1 + random.below(bytes.count - 1) }).sorted()
            let partials = try writeShards(path, size: bytes.count, cuts: cuts, options: options, tag: "s\(seed)")
            let planPath = scratch.appendingPathComponent("s\(seed).plan").path
            try mend(partials, path: path, options: options)
            try PartialMerge.writePlan(paths: partials, output: planPath)
            for buckets in [1, 3, 16] {
                // With 3 buckets the shards' steps read the plan, not every partial.
                let plan = buckets == 3 ? planPath : nil
                let verdicts = try exchange(partials, buckets: buckets, tag: "s\(seed)-b\(buckets)",
                                            memoryLimit: buckets == 3 ? 64 << 20 : 0, plan: plan)
                let merged = try PartialMerge.merge(paths: partials, maxErrors: 0, memoryLimit: 0,
                                                    temporaryDirectory: scratch.path, idVerdicts: verdicts.shuffled())
                let context = "\(format) seed \(seed), \(buckets) buckets, cuts \(cuts)"
                XCTAssertEqual(try render(merged, .piing), try render(single, .piing), context)
                XCTAssertEqual(merged.errors.map { "\($0.row)/\($0.line)/\($0.value ?? "-")" },
                               single.errors.map { "\($0.row)/\($0.line)/\($0.value ?? "-")" }, context)
                XCTAssertEqual(merged.invalidRows, single.invalidRows, context)
                // Observers with the verdicts: the styles that follow rows.
                for style in [ReportStyle.productsup, .ndjson] {
                    let one = try ReportRenderer(style: style, maxErrors: 0)
                    let oneReport = try Validator.validate(path: path, options: options, hooks: RunHooks(observers: one.observers))
                    let joined = try ReportRenderer(style: style, maxErrors: 0)
                    let joinedReport = try PartialMerge.merge(paths: partials, maxErrors: 0, memoryLimit: 64 << 20,
                                                              temporaryDirectory: scratch.path, observers: joined.observers,
                                                              showsRows: true, idVerdicts: verdicts)
                    XCTAssertEqual(String(decoding: try joined.render(joinedReport), as: UTF8.self),
                                   String(decoding: try one.render(oneReport), as: UTF8.self), "\(context), \(style)")
                }
                // The split in parts, one per shard, and its errors file from the merge.
                let names = ["rejects", "clean", "errors"].map { scratch.appendingPathComponent("one-\(seed)-\($0)").path }
                let splitter = try RowSplitter(rejects: OutputFile.create(path: names[0]), clean: OutputFile.create(path: names[1]),
                                               sidecar: OutputFile.create(path: names[2]), layout: .asInput)
                _ = try Validator.validate(path: path, options: options, hooks: RunHooks(observers: [splitter]))
                var rejects: [UInt8] = [], clean: [UInt8] = []
                for (index, partial) in partials.enumerated() {
                    let parts = ["r", "c"].map { scratch.appendingPathComponent("part-\(seed)-\(buckets)-\(index).\($0)").path }
                    try PartialMerge.writeSplitPart(paths: plan == nil ? partials : [], plan: plan, shard: partial,
                                                    idVerdicts: verdicts,
                                                    rejects: OutputFile.create(path: parts[0]),
                                                    clean: OutputFile.create(path: parts[1]), temporaryDirectory: scratch.path)
                    rejects += try Data(contentsOf: URL(fileURLWithPath: parts[0]))
                    clean += try Data(contentsOf: URL(fileURLWithPath: parts[1]))
                }
                XCTAssertEqual(rejects, Array(try Data(contentsOf: URL(fileURLWithPath: names[0]))), context)
                XCTAssertEqual(clean, Array(try Data(contentsOf: URL(fileURLWithPath: names[1]))), context)
                let errors = scratch.appendingPathComponent("merged-errors-\(seed)").path
                _ = try PartialMerge.merge(paths: partials, maxErrors: 1000, memoryLimit: 0, temporaryDirectory: scratch.path,
                                           observers: [RowSplitter(rejects: nil, clean: nil, sidecar: OutputFile.create(path: errors),
                                                                   layout: .asInput)], idVerdicts: verdicts)
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: errors)),
                               try Data(contentsOf: URL(fileURLWithPath: names[2])), context)
            }
        }
    }

    /// Verdicts spill past a small limit and hash collisions are settled by the bytes.
    func testCollidingHashesInBucketsAreSettledByTheirBytes() throws {
        let bytes = ShardTests.csv(rows: 400, seed: 11)
        let path = try file("collide.csv", bytes: bytes)
        let options = self.options(.csv)
        let single = try Validator.validate(path: path, options: options)
        // Hashes of 8 bits: most distinct ids collide (the shards record the hashes they saw).
        IDRegistry.hashMask = 0xF0F
        defer { IDRegistry.hashMask = ~0 }
        let partials = try writeShards(path, size: bytes.count, cuts: [bytes.count / 3, 2 * bytes.count / 3], options: options,
                                  tag: "c")
        let verdicts = try exchange(partials, buckets: 5, tag: "c")
        let merged = try PartialMerge.merge(paths: partials, maxErrors: 0, memoryLimit: 0, temporaryDirectory: scratch.path,
                                            idVerdicts: verdicts)
        XCTAssertEqual(try render(merged, .piing), try render(single, .piing))
    }

    func testVerdictsThatDoNotFitAreRefused() throws {
        let bytes = ShardTests.csv(rows: 200, seed: 9)
        let path = try file("orders.csv", bytes: bytes)
        let options = self.options(.csv)
        let partials = try writeShards(path, size: bytes.count, cuts: [bytes.count / 2], options: options, tag: "r")
        let verdicts = try exchange(partials, buckets: 3, tag: "r")
        func refusal(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "accepted"
            } catch let error as PreflightError {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        func merge(_ files: [String], _ paths: [String]? = nil) -> String {
            refusal { _ = try PartialMerge.merge(paths: paths ?? partials, maxErrors: 0, memoryLimit: 0,
                                                 temporaryDirectory: scratch.path, idVerdicts: files) }
        }
        XCTAssertEqual(merge(Array(verdicts.prefix(2))),
                       "cannot merge \(verdicts[0]): the verdicts of bucket 2 of 3 are missing")
        XCTAssertEqual(merge([verdicts[0], verdicts[1], verdicts[1]]),
                       "cannot merge \(verdicts[1]): it is bucket 1, as \(verdicts[1]) is")
        XCTAssertEqual(merge([verdicts[0], partials[0]]),
                       "cannot merge \(partials[0]): it is not a preflight verdicts file")
        // Another cut of the same file: the shards differ.
        let other = try writeShards(path, size: bytes.count, cuts: [bytes.count / 3], options: options, tag: "o")
        XCTAssertTrue(merge(verdicts, other).contains("its shards are not the partials'"), merge(verdicts, other))
        // Other options: another run.
        var strict = options
        strict.maxRows = 5
        let otherRun = try writeShards(path, size: bytes.count, cuts: [bytes.count / 2], options: strict, tag: "x")
        XCTAssertTrue(merge(verdicts, otherRun).contains("of another file or other options"), merge(verdicts, otherRun))
        // A damaged record: rows out of order.
        var damaged = Array(try Data(contentsOf: URL(fileURLWithPath: verdicts[0])))
        let records = damaged.count - (IDExchange.verdictsMagic.count + 40 + 2 * 24)
        if records >= 2 * ReplayVerdicts.recordSize {
            let start = damaged.count - 2 * ReplayVerdicts.recordSize
            let last = Array(damaged[(start + 24)...])
            damaged.replaceSubrange((start + 24)..., with: damaged[start..<(start + 24)])
            damaged.replaceSubrange(start..<(start + 24), with: last)
            let damagedPath = try file("damaged.verdicts", bytes: damaged)
            XCTAssertEqual(merge([damagedPath, verdicts[1], verdicts[2]]), "cannot merge \(damagedPath): it is damaged")
        }
        // A verdicts file cut short at a record's end, or without its footer.
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: verdicts[1])))
        let footer = Array(whole.suffix(IDExchange.footerSize))
        XCTAssertGreaterThan(whole.count, IDExchange.verdictsMagic.count + 40 + 2 * 24 + IDExchange.footerSize + 24)
        let lessOne = try file("less.verdicts", bytes: Array(whole.dropLast(IDExchange.footerSize + 24)) + footer)
        XCTAssertEqual(merge([verdicts[0], lessOne, verdicts[2]]),
                       "cannot merge \(lessOne): it is cut short or damaged (its records do not match its footer)")
        let noFooter = try file("nofooter.verdicts", bytes: Array(whole.dropLast(IDExchange.footerSize)))
        XCTAssertTrue(merge([verdicts[0], noFooter, verdicts[2]]).hasPrefix("cannot merge \(noFooter): it is"),
                      merge([verdicts[0], noFooter, verdicts[2]]))
        var flipped = whole
        flipped[flipped.count - IDExchange.footerSize - 3] ^= 0x01  // a record's set
        let flippedPath = try file("flipped.verdicts", bytes: flipped)
        XCTAssertTrue(merge([verdicts[0], flippedPath, verdicts[2]]).hasPrefix("cannot merge \(flippedPath): it is"))
        // An ids file cut short at a record's end.
        let idsPath = scratch.appendingPathComponent("r-ids-1").path + "/" + IDExchange.idsFileName(bucket: 2)
        let ids = Array(try Data(contentsOf: URL(fileURLWithPath: idsPath)))
        let lastRecord = IDSpill.headerSize + 1  // ids of the form I<n>: the last is at least this long
        let cutIDs = try file("cut.ids", bytes: Array(ids.dropLast(IDExchange.footerSize + lastRecord)) + ids.suffix(IDExchange.footerSize))
        XCTAssertTrue(refusal {
            try IDExchange.checkBucket(paths: [cutIDs], output: scratch.appendingPathComponent("y.verdicts").path,
                                       memoryLimit: 0, temporaryDirectory: scratch.path, threads: 1)
        }.hasPrefix("cannot merge \(cutIDs): it is"))
        // A plan of another run, and a partial that is not the one the plan took for its range.
        let otherPlan = scratch.appendingPathComponent("other.plan").path
        try PartialMerge.writePlan(paths: otherRun, output: otherPlan)
        XCTAssertEqual(refusal {
            try IDExchange.writeBuckets(paths: [], plan: otherPlan, shard: partials[0], buckets: 3, directory: scratch.path,
                                        temporaryDirectory: nil)
        }, "cannot merge \(partials[0]): it is of another file or other options than the plan \(otherPlan)")
        let plan = scratch.appendingPathComponent("r.plan").path
        try PartialMerge.writePlan(paths: partials, output: plan)
        let elsewhere = scratch.appendingPathComponent("elsewhere.partial").path
        try Validator.shard(path: path, range: (bytes.count / 2)..<bytes.count, firstRowAt: bytes.count - 1, options: options,
                            partial: elsewhere)
        XCTAssertTrue(refusal {
            try IDExchange.writeBuckets(paths: [], plan: plan, shard: elsewhere, buckets: 3, directory: scratch.path,
                                        temporaryDirectory: nil)
        }.contains("give the partial the plan was made with"))
        // The ids files of two buckets in one check.
        let folder = scratch.appendingPathComponent("r-ids-0").path
        XCTAssertEqual(refusal {
            try IDExchange.checkBucket(paths: [folder + "/" + IDExchange.idsFileName(bucket: 0),
                                              folder + "/" + IDExchange.idsFileName(bucket: 1)],
                                       output: scratch.appendingPathComponent("x.verdicts").path, memoryLimit: 0,
                                       temporaryDirectory: scratch.path, threads: 1)
        }, "cannot merge \(folder)/bucket-00001.ids: it is bucket 1 of 3, and \(folder)/bucket-00000.ids is bucket 0 of 3")
        // The same shard twice.
        XCTAssertTrue(refusal {
            try IDExchange.checkBucket(paths: [folder + "/" + IDExchange.idsFileName(bucket: 0),
                                              folder + "/" + IDExchange.idsFileName(bucket: 0)],
                                       output: scratch.appendingPathComponent("x.verdicts").path, memoryLimit: 0,
                                       temporaryDirectory: scratch.path, threads: 1)
        }.contains("overlaps"))
        // A part needs the verdicts when ids are checked.
        XCTAssertEqual(refusal {
            try PartialMerge.writeSplitPart(paths: partials, shard: partials[1], idVerdicts: [],
                                            rejects: OutputFile.create(path: scratch.appendingPathComponent("p.r").path),
                                            clean: nil, temporaryDirectory: scratch.path)
        }, "cannot merge \(partials[1]): a part's rows need the duplicate verdicts of the whole run (preflight check-ids): "
           + "give them with --id-verdicts")
    }

    /// The commands, as a script or a Spark job runs them.
    func testCommandLineBucketsVerdictsAndParts() throws {
        let bytes = ShardTests.csv(rows: 300, seed: 12)
        let path = try file("orders.csv", bytes: bytes)
        let schema = try ordersSchemaFile()
        let common = ["--schema-file", schema, "--line-cap", "120"]
        let single = try run(["validate", path, "--report", "jumbo", "--rejects", "one.r", "--clean", "one.c"] + common)
        XCTAssertEqual(single.status, 1, single.stderr)
        let cuts = [0, bytes.count / 4, bytes.count / 2, bytes.count]
        var partials: [String] = []
        for index in 0..<3 {
            partials.append("p\(index).partial")
            let shard = try run(["validate", path, "--byte-range", "\(cuts[index])-\(cuts[index + 1])", "--partial",
                                 partials[index]] + common)
            XCTAssertEqual(shard.status, 0, shard.stderr)
        }
        for index in 0..<3 {
            try FileManager.default.createDirectory(at: scratch.appendingPathComponent("ids\(index)"),
                                                    withIntermediateDirectories: true)
            let ids = try run(["partial-ids"] + partials + ["--shard", partials[index], "--buckets", "2", "--output-dir", "ids\(index)"])
            XCTAssertEqual(ids.status, 0, ids.stderr)
        }
        var verdicts: [String] = []
        for bucket in 0..<2 {
            let name = IDExchange.idsFileName(bucket: bucket)
            let check = try run(["check-ids", "ids2/" + name, "ids0/" + name, "ids1/" + name, "--output", "v\(bucket)"])
            XCTAssertEqual(check.status, 0, check.stderr)
            verdicts += ["--id-verdicts", "v\(bucket)"]
        }
        let merged = try run(["merge"] + partials + verdicts + ["--report", "jumbo", "--rejects-errors", "errors.ndjson"])
        XCTAssertEqual(merged.status, 1, merged.stderr)
        XCTAssertEqual(merged.stdout, single.stdout)
        XCTAssertEqual(try contents("errors.ndjson"), try contents("one.r.errors.ndjson"))
        // A plan is only made of shards that fit: a misjudged one is named with the command that
        // mends it, which is run here until the plan is made.
        var plan = try run(["plan"] + partials + ["--output", "run.plan"])
        var mended = 0
        while plan.status == 64, let command = plan.stderr.split(separator: "`").dropFirst().first {
            let mend = try run(command.split(separator: " ").dropFirst().map(String.init) + common)
            XCTAssertEqual(mend.status, 0, mend.stderr)
            mended += 1
            plan = try run(["plan"] + partials + ["--output", "run.plan"])
        }
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertLessThan(mended, 3)
        var rejects = "", clean = ""
        for index in 0..<3 {
            // The first part from every partial, the others from the run's plan.
            let numbering = index == 0 ? partials : ["--plan", "run.plan"]
            let part = try run(["split-part"] + numbering + ["--shard", partials[index]] + verdicts
                               + ["--rejects", "r\(index)", "--clean", "c\(index)"])
            XCTAssertEqual(part.status, 0, part.stderr)
            rejects += try contents("r\(index)")
            clean += try contents("c\(index)")
        }
        XCTAssertEqual(rejects, try contents("one.r"))
        XCTAssertEqual(clean, try contents("one.c"))
        for (arguments, message) in [
            (["merge"] + partials + ["--id-verdicts", "v0"], "the verdicts of bucket 1 of 2 are missing"),
            (["merge"] + partials + ["--rejects", "x", "--rejects-errors", "y"], "give --rejects or --rejects-errors"),
            (["partial-ids"] + partials + ["--shard", "nope", "--buckets", "2", "--output-dir", "."], "nope: it is not among the partials named"),
            (["partial-ids"] + partials + ["--shard", partials[0], "--buckets", "0", "--output-dir", "."], "--buckets must be 1 to 1024"),
            (["partial-ids", "--plan", "run.plan"] + partials + ["--shard", partials[0], "--buckets", "2", "--output-dir", "."],
             "give the run's partial results or its --plan, not both"),
            (["split-part"] + partials + ["--shard", partials[0], "--rejects", path] + verdicts, "is the same file as the input"),
            (["check-ids", "ids0/" + IDExchange.idsFileName(bucket: 0), "--output", "ids0/" + IDExchange.idsFileName(bucket: 0)],
             "is the same file as the input"),
        ] {
            let outcome = try run(arguments)
            XCTAssertEqual(outcome.status, 64, "\(arguments): \(outcome.stderr)")
            XCTAssertTrue(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
    }
}
