import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Byte-range shards and their merge: for any cuts, the merged report is the one run's, byte for
/// byte — cuts inside quoted fields (the merge reads the shard again from the right row), on a
/// CRLF, in a BOM, inside a record longer than the cap, shards with no row at all.
final class ShardTests: CLITestCase {
    /// An id, a `unique` code and an amount.
    static let schema = OutOfCoreTests.schema

    /// CSV rows of every kind a cut can fall into: quoted line breaks (LF and CRLF), doubled
    /// quotes, CRLF endings, blank lines, stray quotes, records over a 120-byte cap, repeated ids
    /// and codes near and far, missing ids, bad amounts.
    static func csv(rows: Int, seed: UInt64, bom: Bool = false, unterminated: Bool = false) -> [UInt8] {
        var random = SplitTests.Random(state: seed)
        var text = (bom ? "\u{FEFF}" : "") + "id,code,amount\n"
        for row in 0..<rows {
            let id = random.below(8) == 0 ? "I\(random.below(row + 1))" : random.below(30) == 0 ? "" : "I\(row)"
            var code: String
            switch random.below(10) {
            case 0: code = "\"C\(random.below(row / 3 + 1))\n\"\"q\"\"\r\nend\""
            case 1: code = "\"\(String(repeating: "x", count: 130 + random.below(200)))\n\""
            case 2: code = "12\" pizza"
            case 3: code = "\"C,\(row)\""
            default: code = "C\(row)"
            }
            let amount = random.below(15) == 0 ? "x" : "\(random.below(999)).5"
            let end = random.below(4) == 0 ? "\r\n" : "\n"
            text += "\(id),\(code),\(amount)\(end)"
            if random.below(25) == 0 { text += "\n" }
        }
        if unterminated { text += "I-last,\"never closed\n,1\n" }
        return Array(text.utf8)
    }

    /// NDJSON lines of every kind: objects, blank lines, syntax errors, CRLF, lines over the cap.
    static func ndjson(rows: Int, seed: UInt64) -> [UInt8] {
        var random = SplitTests.Random(state: seed)
        var text = ""
        for row in 0..<rows {
            let id = random.below(8) == 0 ? "I\(random.below(row + 1))" : "I\(row)"
            switch random.below(14) {
            case 0: text += "\n"
            case 1: text += "{\"id\": \"\(id)\", \"amount\": 1.5\r\n"
            case 2: text += "{\"id\": \"\(id)\", \"code\": \"\(String(repeating: "y", count: 150))\", \"amount\": 2}\n"
            case 3: text += "[1, 2]\n"
            default:
                let code = random.below(6) == 0 ? "C\(random.below(row / 3 + 1))" : "C\(row)"
                let end = random.below(4) == 0 ? "\r\n" : "\n"
                text += "{\"id\": \"\(id)\", \"code\": \"\(code)\", \"amount\": \(random.below(99))}\(end)"
            }
        }
        return Array(text.utf8)
    }

    private func options(_ format: InputFormat, threads: Int = 2, maxRows: Int = 0, maxErrors: Int = 0) -> ValidationOptions {
        var options = ValidationOptions(schema: Self.schema, format: format)
        options.threads = threads
        options.windowSize = 1 << 12
        options.lineCap = 120
        options.maxErrors = maxErrors
        options.maxRows = maxRows
        options.maxFileSize = 0
        options.memoryLimit = 0
        return options
    }

    /// What must be equal: the report (without timings), every listed value, the Piing and text renderings.
    private func fingerprint(_ report: ValidationReport) throws -> String {
        var report = report
        report.seconds = 0
        return String(decoding: try ReportRenderer(style: .piing).render(report), as: UTF8.self)
            + String(decoding: try ReportRenderer(style: .text).render(report), as: UTF8.self)
            + report.errors.map { "\($0.row)/\($0.line)/\($0.value ?? "-")" }.joined(separator: "|")
            + report.notices.map { "\($0.code):\($0.message)" }.joined(separator: "|")
    }

    /// The reports that follow rows (productsup, jumbo, ndjson), of one run and of the merge of
    /// the shards cut at `cuts`.
    private func rowStyles(_ path: String, size: Int, cuts: [Int], options: ValidationOptions,
                           maxErrors: Int) throws -> (single: String, merged: String) {
        var single = "", merged = ""
        for style in [ReportStyle.productsup, .jumbo, .ndjson] {
            var options = options
            options.maxErrors = maxErrors
            let one = try ReportRenderer(style: style, maxErrors: maxErrors)
            let report = try Validator.validate(path: path, options: options, hooks: RunHooks(observers: one.observers))
            single += String(decoding: try one.render(report), as: UTF8.self)
            let joined = try ReportRenderer(style: style, maxErrors: maxErrors)
            let bounds = [0] + cuts + [size]
            var partials: [String] = []
            for index in 0..<(bounds.count - 1) where bounds[index] < bounds[index + 1] {
                let partial = scratch.appendingPathComponent("styled-\(index).partial").path
                try Validator.shard(path: path, range: bounds[index]..<bounds[index + 1], firstRowAt: nil,
                                    options: options, partial: partial)
                partials.append(partial)
            }
            let mergedReport = try PartialMerge.merge(paths: partials, maxErrors: maxErrors, memoryLimit: 0,
                                                      temporaryDirectory: scratch.path, observers: joined.observers,
                                                      showsRows: true)
            merged += String(decoding: try joined.render(mergedReport), as: UTF8.self)
        }
        return (single, merged)
    }

    /// The merged report of the shards cut at `cuts` (ascending, inside the file).
    private func sharded(_ path: String, size: Int, cuts: [Int], options: ValidationOptions, maxErrors: Int = 0,
                         memoryLimit: Int = 0) throws -> ValidationReport {
        let partials = try writeShards(path, size: size, cuts: cuts, options: options, tag: "shard")
        return try PartialMerge.merge(paths: partials.reversed(), maxErrors: maxErrors, memoryLimit: memoryLimit,
                                      temporaryDirectory: scratch.path)
    }

    func testTwoShardsCutAtEveryByteMergeToTheOneRun() throws {
        let samples = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")
        let broken = try Array(Data(contentsOf: samples.appendingPathComponent("transactions-broken.csv")))
        for (name, bytes, format) in [("broken.csv", broken, InputFormat.csv),
                                      ("rows.csv", Self.csv(rows: 40, seed: 1, bom: true), InputFormat.csv),
                                      ("tail.csv", Self.csv(rows: 25, seed: 2, unterminated: true), .csv),
                                      ("rows.ndjson", Self.ndjson(rows: 40, seed: 3), .ndjson)] {
            let path = try file(name, bytes: bytes)
            var options = options(format, threads: 1)
            if name == "broken.csv" { options.schema = .genericTransactions }  // the sample's own schema
            let reference = try fingerprint(Validator.validate(path: path, options: options))
            XCTAssertTrue(reference.contains("duplicate_id") && (reference.contains("record_too_large") || name == "broken.csv"),
                          name)
            for cut in 1..<bytes.count {
                let merged = try fingerprint(sharded(path, size: bytes.count, cuts: [cut], options: options))
                XCTAssertTrue(merged == reference, "\(name) cut at byte \(cut)")
                if merged != reference { break }
            }
        }
    }

    func testManyShardsAtRandomCutsMergeToTheOneRun() throws {
        var random = SplitTests.Random(state: 99)
        for seed in UInt64(10)..<UInt64(14) {
            for format in [InputFormat.csv, .ndjson] {
                let bytes = format == .csv ? Self.csv(rows: 700, seed: seed, bom: seed == 11) : Self.ndjson(rows: 700, seed: seed)
                let path = try file("data-\(seed).\(format.rawValue)", bytes: bytes)
                for (threads, maxRows, maxErrors) in [(1, 0, 0), (2, 500, 7), (3, 0, 25)] {
                    var options = options(format, threads: threads, maxRows: maxRows, maxErrors: maxErrors)
                    if threads == 3 { options.csvEngine = .libcsv }  // the other CSV engine, same answers
                    if threads == 2 { options.maxFileSize = bytes.count / 2 }  // file_too_large, from the merge
                    let reference = try fingerprint(Validator.validate(path: path, options: options))
                    if threads == 2 { XCTAssertTrue(reference.contains("file_too_large"), reference) }
                    for shards in [2, 3, 5, 8, 13] {
                        let cuts = Set((1..<shards).map { _ in 1 + random.below(bytes.count - 1) }).sorted()
                        let merged = try fingerprint(sharded(path, size: bytes.count, cuts: cuts, options: options,
                                                             maxErrors: maxErrors))
                        XCTAssertTrue(merged == reference, "\(format) seed \(seed) threads \(threads) cuts \(cuts)")
                        if shards == 5 {
                            let styled = try rowStyles(path, size: bytes.count, cuts: cuts, options: options,
                                                       maxErrors: maxErrors)
                            XCTAssertTrue(styled.single == styled.merged, "\(format) seed \(seed) styles, cuts \(cuts)")
                        }
                    }
                }
            }
        }
    }

    /// Records far longer than a shard (quoted line breaks inside, past the cap and the window):
    /// shards that lie wholly inside one hold no row, and the merge skips what they read.
    func testShardsInsideOneLongRecord() throws {
        var text = "id,code,amount\nI1,a,1\n"
        text += "I2,\"" + (0..<300).map { "line \($0) of a long field, \"\"quoted\"\"\n" }.joined() + "\",2\n"
        text += "I3,b,3\nI1,c,4\r\n" + "I4,\"" + String(repeating: "z", count: 9000) + "\",5\nI5,d,6\n"
        for format in [InputFormat.csv] {
            let path = try file("long.csv", text)
            let size = text.utf8.count
            let options = options(format)
            let reference = try fingerprint(Validator.validate(path: path, options: options))
            XCTAssertTrue(reference.contains("record_too_large") && reference.contains("duplicate_id"))
            for step in [97, 1000, 4096] {
                let cuts = Array(stride(from: step, to: size, by: step))
                XCTAssertEqual(try fingerprint(sharded(path, size: size, cuts: cuts, options: options)), reference, "every \(step)")
                let styled = try rowStyles(path, size: size, cuts: cuts, options: options, maxErrors: 0)
                XCTAssertEqual(styled.merged, styled.single, "every \(step)")
                XCTAssertTrue(styled.single.contains("I2,\\\"line 0 of a long field"), "an oversized row is an example")
            }
        }
        let lines = "{\"id\": \"I1\"}\n{\"id\": \"" + String(repeating: "w", count: 9000) + "\"}\r\n{\"id\": \"I1\"}\n"
        let path = try file("long.ndjson", lines)
        let reference = try fingerprint(Validator.validate(path: path, options: options(.ndjson)))
        for step in [97, 4096] {
            let cuts = Array(stride(from: step, to: lines.utf8.count, by: step))
            XCTAssertEqual(try fingerprint(sharded(path, size: lines.utf8.count, cuts: cuts, options: options(.ndjson))),
                           reference, "every \(step)")
        }
    }

    /// The merge's duplicate check runs under its memory limit: ids spill, the answer stays.
    func testMergeSpillsIDsPastItsLimitExactly() throws {
        let bytes = OutOfCoreTests.csv(rows: 120_000, seed: 5)
        let path = try file("big.csv", bytes: bytes)
        var options = options(.csv)
        options.windowSize = 1 << 16
        options.lineCap = 4096
        let reference = try fingerprint(Validator.validate(path: path, options: options))
        let cuts = [bytes.count / 5, bytes.count / 2, bytes.count - 1000]
        let before = IDSpill.made
        let merged = try fingerprint(sharded(path, size: bytes.count, cuts: cuts, options: options, memoryLimit: 2 << 20))
        XCTAssertGreaterThan(IDSpill.made, before, "the merge's ids did not spill")
        XCTAssertTrue(merged == reference)
    }

    func testWhitespaceAndHeaderOnlyFiles() throws {
        for (name, text, format) in [("blank.ndjson", "  \n\n \r\n", InputFormat.ndjson), ("header.csv", "id,code,amount\n", .csv),
                                     ("blank.csv", "\n\n\n", .csv), ("badheader.csv", "id,\"code\n", .csv),
                                     ("missing.csv", "\u{FEFF}foo,bar\r\n", .csv), ("missing-open.csv", "foo,bar", .csv),
                                     ("bom.ndjson", "\u{FEFF}", .ndjson), ("empty.ndjson", "", .ndjson), ("empty.csv", "", .csv)] {
            let path = try file(name, text)
            let options = options(format)
            let reference = try fingerprint(Validator.validate(path: path, options: options))
            if name.hasPrefix("missing") { XCTAssertTrue(reference.contains("missing_required_column"), reference) }
            XCTAssertEqual(try fingerprint(sharded(path, size: text.utf8.count, cuts: [], options: options)), reference, name)
            for cut in 1..<max(1, text.utf8.count) {
                XCTAssertEqual(try fingerprint(sharded(path, size: text.utf8.count, cuts: [cut], options: options)),
                               reference, "\(name) cut at \(cut)")
            }
        }
    }

    /// Partials that do not fit together are refused by name.
    func testPartialsThatDoNotFitAreRefused() throws {
        let bytes = Self.csv(rows: 60, seed: 4)
        let path = try file("a.csv", bytes: bytes)
        let other = try file("b.csv", bytes: Self.csv(rows: 60, seed: 5))
        let options = options(.csv)
        func shard(_ file: String, _ range: Range<Int>, _ name: String, options: ValidationOptions? = nil) throws -> String {
            let partial = scratch.appendingPathComponent(name).path
            try Validator.shard(path: file, range: range, firstRowAt: nil, options: options ?? self.options(.csv), partial: partial)
            return partial
        }
        let half = bytes.count / 2
        let first = try shard(path, 0..<half, "first.partial")
        let second = try shard(path, half..<bytes.count, "second.partial")
        func refusal(_ paths: [String]) -> String {
            do {
                _ = try PartialMerge.merge(paths: paths, maxErrors: 0, memoryLimit: 0, temporaryDirectory: nil)
                return "merged"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(refusal([first]), "cannot merge \(first): bytes \(half)-\(bytes.count) of a.csv are in no partial result: a shard is missing after this one")
        XCTAssertEqual(refusal([second]), "cannot merge \(second): bytes 0-\(half) of a.csv are in no partial result: a shard is missing before this one")
        XCTAssertEqual(refusal([first, second, second]), "cannot merge \(second): it is the same shard (bytes \(half)-\(bytes.count)) as \(second)")
        let overlapping = try shard(path, 10..<(half + 5), "overlap.partial")
        XCTAssertTrue(refusal([first, overlapping, second]).hasPrefix("cannot merge \(overlapping): its bytes 10-\(half + 5) overlap those of \(first)"),
                      refusal([first, overlapping, second]))
        let otherSize = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: other)[.size] as? Int)
        XCTAssertNotEqual(otherSize, bytes.count)
        let foreign = try shard(other, half..<otherSize, "foreign.partial")
        XCTAssertThrowsError(try shard(path, half..<(bytes.count + 1), "beyond.partial"), "a range past the file's end")
        XCTAssertThrowsError(try Validator.shard(path: path, range: 0..<half, firstRowAt: 100, options: options,
                                                 partial: scratch.appendingPathComponent("skips.partial").path)) {
            XCTAssertTrue("\($0)".contains("holds the file's first row, at byte 15"), "\($0)")
        }
        let gzipped = scratch.appendingPathComponent("a.csv.gz").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(path)' > '\(gzipped)'"]
        try gzip.run()
        gzip.waitUntilExit()
        XCTAssertThrowsError(try shard(gzipped, 0..<10, "gzip.partial")) {
            XCTAssertTrue("\($0)".contains("gzip data cannot be cut by byte ranges"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("gzip.partial").path))
        XCTAssertTrue(refusal([first, foreign]).contains("it is of another file"), refusal([first, foreign]))
        var capped = options
        capped.lineCap = 500
        let otherOptions = try shard(path, half..<bytes.count, "options.partial", options: capped)
        XCTAssertEqual(refusal([first, otherOptions]),
                       "cannot merge \(otherOptions): it was validated with other options or another schema than \(first)")
        // Not a partial; cut short; another format version.
        XCTAssertEqual(refusal([path]), "cannot merge \(path): it is not a preflight partial result")
        var data = try Data(contentsOf: URL(fileURLWithPath: second))
        try data.prefix(data.count - 3).write(to: URL(fileURLWithPath: second + ".short"))
        XCTAssertTrue(refusal([first, second + ".short"]).contains("cut short or damaged"))
        let version = Data("\"formatVersion\":1".utf8)
        let at = try XCTUnwrap(data.range(of: version))
        data[at.upperBound - 1] = UInt8(ascii: "7")
        try data.write(to: URL(fileURLWithPath: second + ".v7"))
        XCTAssertTrue(refusal([first, second + ".v7"]).contains("it is a partial of format 7"), refusal([first, second + ".v7"]))
        XCTAssertEqual(refusal([first, second]), "merged")
    }

    /// A shard cut inside a quoted field: it judges its first row from the records that follow
    /// each candidate; one judged wrong (forced here) is read again by the merge from the right
    /// byte while its file is there, else named with the command that mends it.
    func testMisjudgedShardIsReadAgainOrNamed() throws {
        let text = "id,code,amount\nI1,\"a\nI2,b,1\nI3,c,2\",1\nI4,d,3\n"
        let path = try file("quoted.csv", text)
        let size = text.utf8.count
        let cut = text.utf8.firstIndex(of: UInt8(ascii: "b"))!  // inside the quoted field
        let rowAfter = text.utf8.count - "I4,d,3\n".utf8.count
        let wrongRow = text.utf8.firstIndex(of: 0x0A, after: cut)! + 1  // after the line break inside quotes
        let reference = try fingerprint(Validator.validate(path: path, options: options(.csv)))
        XCTAssertEqual(try fingerprint(sharded(path, size: size, cuts: [cut], options: options(.csv))), reference)
        let first = scratch.appendingPathComponent("q0.partial").path, second = scratch.appendingPathComponent("q1.partial").path
        try Validator.shard(path: path, range: 0..<cut, firstRowAt: nil, options: options(.csv), partial: first)
        let judged = try Validator.shard(path: path, range: cut..<size, firstRowAt: nil, options: options(.csv), partial: second)
        XCTAssertEqual(judged.firstRow, rowAfter, "the records after the quoted field's end parse better")
        XCTAssertEqual(judged.otherFirstRow, wrongRow)
        // A shard that started at the wrong row: the merge reads it again from the right one.
        try Validator.shard(path: path, range: cut..<size, firstRowAt: wrongRow, options: options(.csv), partial: second)
        XCTAssertEqual(try fingerprint(PartialMerge.merge(paths: [first, second], maxErrors: 0, memoryLimit: 0,
                                                          temporaryDirectory: nil)), reference)
        // The file changes after the shards ran: the merge cannot read it again.
        let original = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 100)], ofItemAtPath: path)
        var message = ""
        XCTAssertThrowsError(try PartialMerge.merge(paths: [first, second], maxErrors: 0, memoryLimit: 0,
                                                    temporaryDirectory: nil)) { message = "\($0)" }
        XCTAssertEqual(message, "cannot merge \(second): its rows were read from byte \(wrongRow), "
                       + "but the row before them ends at byte \(rowAfter) (its range began inside a quoted field it did not "
                       + "recognise); validate it "
                       + "again with `preflight validate \(path) --byte-range \(cut)-\(size) --first-row-at \(rowAfter) --partial "
                       + "\(second)` and the same options")
        // That command, run on the file as it was, mends it.
        try FileManager.default.setAttributes([.modificationDate: original], ofItemAtPath: path)
        try Validator.shard(path: path, range: cut..<size, firstRowAt: rowAfter, options: options(.csv), partial: second)
        let mended = try PartialMerge.merge(paths: [first, second], maxErrors: 0, memoryLimit: 0, temporaryDirectory: nil)
        XCTAssertEqual(try fingerprint(mended), reference)
    }

    func testCommandLineShardsAndMerge() throws {
        let bytes = Self.csv(rows: 300, seed: 8)
        let path = try file("orders.csv", bytes: bytes)
        let schema = try ordersSchemaFile()
        let common = ["--schema-file", schema, "--line-cap", "120"]
        let single = try run(["validate", path, "--report", "piing"] + common)
        XCTAssertEqual(single.status, 1)
        let cuts = [0, 1000, 1001, 5000, bytes.count]
        var partials: [String] = []
        for index in 0..<(cuts.count - 1) {
            let partial = "part-\(index).partial"
            let shard = try run(["validate", path, "--byte-range", "\(cuts[index])-\(cuts[index + 1])", "--partial", partial] + common)
            XCTAssertEqual(shard.status, 0, shard.stderr)
            XCTAssertEqual(shard.stdout + shard.stderr, "")
            partials.append(partial)
        }
        let merged = try run(["merge"] + partials + ["--report", "piing"])
        XCTAssertEqual(merged.status, 1, merged.stderr)
        XCTAssertEqual(merged.stdout, single.stdout)
        for style in ["productsup", "jumbo", "ndjson"] {
            for maxErrors in ["0", "5"] {
                let one = try run(["validate", path, "--report", style, "--max-errors", maxErrors] + common)
                let joined = try run(["merge"] + partials + ["--report", style, "--max-errors", maxErrors])
                XCTAssertEqual(joined.status, one.status, joined.stderr)
                XCTAssertEqual(joined.stdout, one.stdout, "\(style), max errors \(maxErrors)")
                XCTAssertTrue(one.stdout.lowercased().contains("duplicate") || style == "jumbo", style)
            }
        }
        // The split, from the merge: the rows read from the file, byte for byte the one run's.
        let split = try run(["validate", path, "--rejects", "one-rejects.csv", "--clean", "one-clean.csv"] + common)
        let mergedSplit = try run(["merge"] + partials + ["--rejects", "rejects.csv", "--clean", "clean.csv"])
        XCTAssertEqual(mergedSplit.status, split.status, mergedSplit.stderr)
        XCTAssertEqual(mergedSplit.stdout, split.stdout)
        for (one, merged) in [("one-rejects.csv", "rejects.csv"), ("one-clean.csv", "clean.csv"),
                              ("one-rejects.csv.errors.ndjson", "rejects.csv.errors.ndjson")] {
            XCTAssertEqual(try contents(merged), try contents(one), merged)
        }
        XCTAssertTrue(try contents("rejects.csv").contains("12\" pizza"))
        let overwrite = try run(["merge"] + partials + ["--clean", path])
        XCTAssertEqual(overwrite.status, 64)
        XCTAssertTrue(overwrite.stderr.contains("is the same file as the input"), overwrite.stderr)
        let text = try run(["merge"] + partials + ["--report", "text", "--max-errors", "3"])
        XCTAssertTrue(text.stdout.contains("300 rows") || text.stdout.contains("rows"), text.stdout)
        let missing = try run(["merge", partials[0], partials[2]])
        XCTAssertEqual(missing.status, 64)
        XCTAssertEqual(missing.stderr, "preflight: cannot merge \(partials[2]): bytes 1000-1001 of orders.csv are in no partial result: a shard is missing before this one\n")
        for (arguments, message) in [
            (["validate", path, "--byte-range", "5-3", "--partial", "x"], "--byte-range START-END"),
            (["validate", path, "--byte-range", "0-10"], "--byte-range needs --partial FILE"),
            (["validate", "-", "--format", "csv", "--byte-range", "0-10", "--partial", "x"], "only with --byte-range-base"),
            (["validate", path, "--byte-range", "0-10", "--byte-range-base", "0", "--partial", "x"], "only with --byte-range-base"),
            (["validate", path, "--byte-range", "0-10", "--partial", path], "--partial \(path) is the same file as the input"),
            (["merge", partials[0], "--report", "html"], "unknown report style 'html'"),
        ] {
            let outcome = try run(arguments + common.prefix(arguments[0] == "merge" ? 0 : 2))
            XCTAssertEqual(outcome.status, 64, "\(arguments): \(outcome.stderr)")
            XCTAssertTrue(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
        // Standard input holding the file from a base offset on (the CSV header first), as an
        // object store's range read piped in: the same merge.
        let headerEnd = Array(bytes).firstIndex(of: 0x0A)! + 1
        var piped: [String] = []
        for index in 0..<(cuts.count - 1) {
            let partial = "piped-\(index).partial"
            let base = max(headerEnd, cuts[index] - 1 - index * 300)
            let input = index == 0 ? bytes : Array(bytes[..<headerEnd]) + Array(bytes[base...])
            let shard = try run(["validate", "-", "--format", "csv", "--name", "orders.csv", "--byte-range",
                                 "\(cuts[index])-\(cuts[index + 1])", "--byte-range-base", "\(index == 0 ? 0 : base)",
                                 "--partial", partial] + common, stdin: String(decoding: input, as: UTF8.self))
            XCTAssertEqual(shard.status, 0, shard.stderr)
            piped.append(partial)
        }
        // A piped shard that started at a wrong row (forced here: after a line break inside a
        // quoted field) cannot be read again by the merge: it names the command that mends it (its
        // bytes from the row's start), which is run here, until the merge passes.
        let inside = Array("\n\"\"q\"\"".utf8)
        let wrong = try XCTUnwrap((cuts[2]..<(bytes.count - inside.count)).first { Array(bytes[$0..<($0 + inside.count)]) == inside }) + 1
        let forced = try run(["validate", "-", "--format", "csv", "--name", "orders.csv", "--byte-range", "\(cuts[2])-\(cuts[3])",
                              "--byte-range-base", "\(wrong)", "--first-row-at", "\(wrong)", "--partial", piped[2]] + common,
                             stdin: String(decoding: Array(bytes[..<headerEnd]) + Array(bytes[wrong...]), as: UTF8.self))
        XCTAssertEqual(forced.status, 0, forced.stderr)
        var pipedMerge = try run(["merge"] + piped + ["--report", "piing"])
        var mended = 0
        while pipedMerge.status == 64, let command = pipedMerge.stderr.split(separator: "`").dropFirst().first {
            let words = command.split(separator: " ").map(String.init)
            XCTAssertEqual(Array(words.prefix(3)), ["preflight", "validate", "-"])
            let base = try XCTUnwrap(Int(words[words.firstIndex(of: "--byte-range-base")! + 1]))
            let input = Array(bytes[..<headerEnd]) + Array(bytes[base...])
            let again = try run(Array(words.dropFirst()) + common, stdin: String(decoding: input, as: UTF8.self))
            XCTAssertEqual(again.status, 0, again.stderr)
            mended += 1
            guard mended < 5 else { break }
            pipedMerge = try run(["merge"] + piped + ["--report", "piing"])
        }
        XCTAssertEqual(pipedMerge.stdout, single.stdout, "status \(pipedMerge.status): \(pipedMerge.stderr)")
        XCTAssertGreaterThan(mended, 0, "no piped shard began inside a quoted field: the test lost its point")
        let late = try run(["validate", "-", "--format", "csv", "--byte-range", "1000-2000", "--byte-range-base", "1000",
                            "--partial", "late.partial"] + common, stdin: String(decoding: bytes, as: UTF8.self))
        XCTAssertEqual(late.status, 64)
        XCTAssertTrue(late.stderr.contains("--byte-range-base 1000 must lie at or after the header's end"), late.stderr)
        // A range read cut short: standard input ends before the file's end (--file-size).
        let short = try run(["validate", "-", "--format", "csv", "--byte-range", "5000-\(bytes.count)", "--byte-range-base",
                             "4990", "--file-size", "\(bytes.count)", "--partial", "short.partial"] + common,
                            stdin: String(decoding: Array(bytes[..<headerEnd]) + Array(bytes[4990..<(bytes.count - 7)]), as: UTF8.self))
        XCTAssertEqual(short.status, 66, short.stderr)
        XCTAssertTrue(short.stderr.contains("standard input ended at byte \(bytes.count - 7) of the file, before the file's end (\(bytes.count)): the range read was cut short"), short.stderr)
        let json = try file("rows.json", "[{\"id\": \"a\", \"amount\": 1}]")
        let refused = try run(["validate", json, "--byte-range", "0-5", "--partial", "j.partial"] + common)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("a JSON document is validated whole"), refused.stderr)
    }
}

private extension String.UTF8View {
    func firstIndex(of byte: UInt8, after offset: Int) -> Int? {
        var index = offset
        for value in self.dropFirst(offset) {
            if value == byte { return index }
            index += 1
        }
        return nil
    }
}

private extension String.UTF8View {
    func firstIndex(of byte: UInt8) -> Int? {
        var index = 0
        for value in self {
            if value == byte { return index }
            index += 1
        }
        return nil
    }
}

extension CLITestCase {
    /// The partials of the shards of `path` cut at `cuts` (ascending, inside the file; one
    /// shard `0-0` for an empty file), named `TAG-N.partial` in the scratch folder.
    func writeShards(_ path: String, size: Int, cuts: [Int], options: ValidationOptions, tag: String) throws -> [String] {
        let bounds = [0] + cuts + [size]
        var partials: [String] = []
        for index in 0..<(bounds.count - 1) where bounds[index] < bounds[index + 1] || size == 0 {
            let partial = scratch.appendingPathComponent("\(tag)-\(index).partial").path
            try Validator.shard(path: path, range: bounds[index]..<bounds[index + 1], firstRowAt: nil, options: options,
                                partial: partial)
            partials.append(partial)
        }
        return partials
    }
}
