import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Duplicate ids past the memory limit: the run that spills them to scratch files gives the
/// report, byte for byte, of the run that keeps every id in memory.
final class OutOfCoreTests: CLITestCase {
    /// An id, a `unique` code and an amount; ids and codes repeat near and far, some rows have
    /// other errors too, some have two repeated values.
    static let schema: Schema = {
        var unique = Constraints()
        unique.unique = true
        return Schema(name: "orders", columns: [
            Column("id", .string, required: true),
            Column("code", .string, required: false, constraints: unique),
            Column("amount", .decimal, required: true),
        ], idColumn: "id")
    }()

    static func csv(rows: Int, seed: UInt64) -> [UInt8] {
        var random = SplitTests.Random(state: seed)
        func next() -> UInt64 { random.next() }
        var text = "id,code,amount\n"
        for row in 0..<rows {
            let roll = next() % 100
            let id = roll < 3 ? "I\(next() % UInt64(row + 1))" : roll < 5 ? "I\(max(0, row - 1 - Int(next() % 50)))" : "I\(row)"
            let code = next() % 10 == 0 ? "C\(next() % UInt64(row / 4 + 1))" : next() % 10 == 1 ? "" : "C-\(row)"
            let amount = next() % 97 == 0 ? "x" : "1.5"
            text += "\(id),\(code),\(amount)\n"
        }
        return Array(text.utf8)
    }

    /// The same columns without `unique`: ids alone, which the registry's shards spill themselves.
    static let idsOnly = Schema(name: "orders", columns: [
        Column("id", .string, required: true),
        Column("code", .string, required: false),
        Column("amount", .decimal, required: true),
    ], idColumn: "id")

    private func piing(_ bytes: [UInt8], threads: Int, memoryLimit: Int, maxErrors: Int,
                       schema: Schema = OutOfCoreTests.schema) throws -> String {
        var options = ValidationOptions(schema: schema, format: .csv)
        options.threads = threads
        options.windowSize = 1 << 16
        options.lineCap = 4096
        options.maxErrors = maxErrors
        options.maxRows = 0
        options.memoryLimit = memoryLimit
        let report = try Validator.validate(bytes: bytes, name: "orders.csv", options: options)
        return String(decoding: try ReportRenderer(style: .piing).render(report), as: UTF8.self)
            + report.errors.map { $0.value ?? "-" }.joined(separator: "|")
    }

    func testSpilledIDsGiveTheInMemoryReport() throws {
        let bytes = Self.csv(rows: 150_000, seed: 1)
        for maxErrors in [0, 7] {
            let reference = try piing(bytes, threads: 1, memoryLimit: 0, maxErrors: maxErrors)
            XCTAssertTrue(reference.contains("\"duplicate_id\":"))
            XCTAssertTrue(reference.contains("\"invalid_code\":"))
            for threads in [1, 2, 7] {
                let before = IDSpill.made
                let spilled = try piing(bytes, threads: threads, memoryLimit: 2 << 20, maxErrors: maxErrors)
                XCTAssertGreaterThan(IDSpill.made, before, "\(threads) threads: the ids did not spill")
                XCTAssertTrue(spilled == reference, "\(threads) threads, max errors \(maxErrors)")
            }
        }
    }

    /// Ids alone: each shard writes the ids it defers to its own spill, in parallel; the answers
    /// are the same, hash collisions included.
    func testShardsSpillTheirOwnIDs() throws {
        let bytes = Self.csv(rows: 150_000, seed: 7)
        for collide in [false, true] {
            if collide { IDRegistry.hashMask = 0xFFFF_FF00 }
            defer { IDRegistry.hashMask = ~0 }
            let reference = try piing(bytes, threads: 1, memoryLimit: 0, maxErrors: 0, schema: Self.idsOnly)
            XCTAssertTrue(reference.contains("\"duplicate_id\":"))
            for threads in [1, 2, 7] {
                let before = IDSpill.made
                let spilled = try piing(bytes, threads: threads, memoryLimit: 2 << 20, maxErrors: 0, schema: Self.idsOnly)
                XCTAssertGreaterThan(IDSpill.made, before, "\(threads) threads: the ids did not spill")
                XCTAssertTrue(spilled == reference, "\(threads) threads, collisions \(collide)")
            }
        }
    }

    /// Distinct ids with equal hashes (bits 8–31 kept: about a hundred pairs of distinct ids with
    /// the same whole hash, no table tags to tell any apart, every id in one spill partition):
    /// the bytes decide.
    func testCollidingHashesSpillExactly() throws {
        IDRegistry.hashMask = 0xFFFF_FF00
        defer { IDRegistry.hashMask = ~0 }
        let bytes = Self.csv(rows: 60_000, seed: 2)
        let reference = try piing(bytes, threads: 1, memoryLimit: 0, maxErrors: 0)
        for threads in [1, 3] {
            let before = IDSpill.made
            XCTAssertTrue(try piing(bytes, threads: threads, memoryLimit: 2 << 20, maxErrors: 0) == reference)
            XCTAssertGreaterThan(IDSpill.made, before)
        }
    }

    /// A full scratch disk (the test hook fills it at a set size) is one error naming the folder
    /// and the space the run needs; with that much room the run completes with the same report.
    func testFullScratchDiskSaysTheSpaceNeeded() throws {
        let bytes = Self.csv(rows: 150_000, seed: 4)
        let reference = try piing(bytes, threads: 2, memoryLimit: 0, maxErrors: 0)
        defer { TemporaryFolder.capacityForTests = nil }
        for capacity in [100_000, 1_000_000] {
            TemporaryFolder.capacityForTests = capacity
            var need = 0
            XCTAssertThrowsError(try piing(bytes, threads: 2, memoryLimit: 2 << 20, maxErrors: 0)) { error in
                guard case .cannotWrite(let path, let reason, let code) = error as? PreflightError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(code, ENOSPC)
                XCTAssertEqual(path, "a temporary file in \(TemporaryFolder.parent(nil))")
                let pattern = #/No space left on device; scratch files held ([0-9.]+) (KB|MB) when it filled after ([0-9]+)% of the input: the run needs about ([0-9.]+) (KB|MB) free there \(or a higher --memory-limit\)/#
                guard let match = reason.wholeMatch(of: pattern) else { return XCTFail(reason) }
                func bytes(_ number: Substring, _ unit: Substring) -> Int {
                    Int(Double(number)! * (unit == "KB" ? 1e3 : 1e6))
                }
                let held = bytes(match.1, match.2)
                need = bytes(match.4, match.5)
                XCTAssertLessThanOrEqual(held, capacity)
                XCTAssertGreaterThan(held, capacity * 9 / 10, reason)
                XCTAssertGreaterThan(need, held, reason)
            }
            TemporaryFolder.capacityForTests = need
            XCTAssertTrue(try piing(bytes, threads: 2, memoryLimit: 2 << 20, maxErrors: 0) == reference,
                          "\(need) bytes of scratch space, as the error said, were not enough")
        }
    }

    func testCommandLineMemoryLimitAndTempDir() throws {
        let path = try file("orders.csv", bytes: Self.csv(rows: 800_000, seed: 3))
        let unlimited = try run(["validate", path, "--schema-file", try ordersSchemaFile(), "--memory-limit", "0"])
        let limited = try run(["validate", path, "--schema-file", try ordersSchemaFile(), "--memory-limit", "64M",
                               "--temp-dir", scratch.path])
        XCTAssertEqual(limited.status, 1)
        XCTAssertEqual(limited.stdout, unlimited.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted(),
                       ["orders.csv", "orders.schema.json"], "the scratch folder is gone")
        let missing = try run(["validate", path, "--schema-file", try ordersSchemaFile(), "--memory-limit", "64M",
                               "--temp-dir", scratch.path + "/missing"])
        XCTAssertEqual(missing.status, 74)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertEqual(missing.stderr,
                       "preflight: cannot write a temporary folder in \(scratch.path)/missing: No such file or directory\n")
        let bad = try run(["validate", path, "--schema-file", try ordersSchemaFile(), "--memory-limit", "lots"])
        XCTAssertEqual(bad.status, 64)
        // A record cap whose windows cannot fit the limit is refused, not run over the limit.
        let longest = try XCTUnwrap(ValidationOptions.longestLineCap(underMemoryLimit: 512 << 20))
        XCTAssertEqual(longest, (512 * 1_048_576 - 40 * 1_048_576 - 32 * 1_048_576) / 5 - 4096)
        let wide = try run(["validate", path, "--schema-file", try ordersSchemaFile(), "--line-cap", "\(longest + 1)"])
        XCTAssertEqual(wide.status, 64)
        XCTAssertEqual(wide.stderr, "preflight: --line-cap \(longest + 1) needs read windows that do not fit --memory-limit 512M "
                       + "(it allows a cap of at most \(longest) bytes): raise --memory-limit or lower --line-cap\n")
        for arguments in [["--line-cap", "\(longest)"], ["--line-cap", "\(longest + 1)", "--memory-limit", "0"]] {
            XCTAssertEqual(try run(["validate", path, "--schema-file", try ordersSchemaFile()] + arguments).status, 1, "\(arguments)")
        }
    }

}

extension CLITestCase {
    /// `OutOfCoreTests.schema` as a schema file in the scratch folder, for the command line.
    func ordersSchemaFile() throws -> String {
        try file("orders.schema.json", """
            {"name": "orders", "idField": "id", "columns": [
              {"name": "id", "type": "string", "required": true},
              {"name": "code", "type": "string", "unique": true},
              {"name": "amount", "type": "decimal", "required": true}]}
            """)
    }
}
