import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The out-of-core duplicate check against a plain dictionary: the same duplicates, rows and first
/// rows, whatever the memory budget, with hashes forced to collide and ids longer than a buffer.
final class IDSpillTests: XCTestCase {
    private struct Value {
        let id: [UInt8]
        let hash: UInt64
        let row: Int
        let order: Int
        let set: Int
        let rowHasErrors: Bool
    }

    /// What the spill must find: each value seen before in its set, with the first row it had.
    private func expected(_ values: [Value]) -> [IDSpill.Duplicate] {
        var first: [String: Int] = [:]
        var found: [IDSpill.Duplicate] = []
        for value in values {
            let key = "\(value.set):" + value.id.map { String($0) }.joined(separator: ",")
            if let row = first[key] {
                found.append(IDSpill.Duplicate(row: value.row, line: value.row + 1, order: value.order, set: value.set,
                                               rowHasErrors: value.rowHasErrors, firstRow: row, id: value.id))
            } else {
                first[key] = value.row
            }
        }
        return found.sorted { ($0.row, $0.order, $0.set) < ($1.row, $1.order, $1.set) }
    }

    /// The spill's duplicates, and how often it split a partition / met one it could not split.
    private func spill(_ values: [Value], budget: Int) throws -> [IDSpill.Duplicate] {
        try spillCounting(values, budget: budget).duplicates
    }

    private func spillCounting(_ values: [Value], budget: Int, threads: Int = 1) throws
        -> (duplicates: [IDSpill.Duplicate], splits: Int, unsplittable: Int) {
        let folder = try TemporaryFolder(in: nil)
        let spill = try IDSpill(folder: folder)
        for value in values {
            try value.id.withUnsafeBytes {
                try spill.append($0, hash: value.hash, row: value.row, line: value.row + 1, order: value.order,
                                 set: value.set, rowHasErrors: value.rowHasErrors)
            }
        }
        XCTAssertEqual(spill.count, values.count)
        let late = try spill.resolve(memoryBudget: budget, threads: threads)
        XCTAssertLessThanOrEqual(late.fileCount, IDSpill.partitionCount, "one file of duplicates per partition at most")
        var duplicates: [IDSpill.Duplicate] = []
        while let duplicate = try late.next() { duplicates.append(duplicate) }
        return (duplicates, spill.splits, spill.unsplittable)
    }

    /// Random ids over a small alphabet (so they repeat), two sets, some rows with two values.
    private func values(count: Int, seed: UInt64, collide: Bool = false, long: Bool = false) -> [Value] {
        var random = SplitTests.Random(state: seed)
        var values: [Value] = []
        var row = 2
        while values.count < count {
            let perRow = random.next() % 5 == 0 ? 2 : 1
            for order in 0..<perRow {
                let length = long && random.next() % 50 == 0 ? 300_000 + Int(random.next() % 1000) : Int(random.next() % 6)
                var id = (0..<length).map { _ in UInt8(truncatingIfNeeded: 0x61 + random.next() % 3) }
                if length > 1000 { id[0] = UInt8(truncatingIfNeeded: random.next() % 2) }  // few distinct long ids
                let hash = id.withUnsafeBytes { IDRegistry.hash($0) }
                values.append(Value(id: id, hash: collide ? hash & 0xFF : hash, row: row, order: order * 3,
                                    set: order, rowHasErrors: random.next() % 7 == 0))
            }
            row += 1
        }
        return values
    }

    func testSpilledIDsGiveTheDictionarysDuplicates() throws {
        for seed in 1...3 as ClosedRange<UInt64> {
            let input = values(count: 8_000, seed: seed)
            let truth = expected(input)
            XCTAssertGreaterThan(truth.count, 4_000)
            for budget in [4096, 64 << 10, 512 << 20] {
                let outcome = try spillCounting(input, budget: budget)
                XCTAssertEqual(outcome.duplicates, truth, "seed \(seed), budget \(budget)")
                // Partitions checked three at a time where the budget holds three (512 MiB).
                let parallel = try spillCounting(input, budget: budget, threads: 3)
                XCTAssertEqual(parallel.duplicates, truth, "seed \(seed), budget \(budget), 3 threads")
                XCTAssertEqual(parallel.splits > 0, outcome.splits > 0)
                // A 4 KiB budget splits partitions; 512 MiB none.
                if budget == 4096 { XCTAssertGreaterThan(outcome.splits, 0, "seed \(seed)") }
                if budget == 512 << 20 { XCTAssertEqual(outcome.splits, 0, "seed \(seed)") }
            }
        }
    }

    /// Hashes forced to share all their partition bits: splitting cannot help, bytes decide.
    func testCollidingHashesAreComparedByteForByte() throws {
        let input = values(count: 5_000, seed: 9, collide: true)
        let outcome = try spillCounting(input, budget: 64 << 10)
        XCTAssertEqual(outcome.duplicates, expected(input))
        XCTAssertEqual(outcome.unsplittable, 1)
        // Equal hashes, different ids: no duplicate.
        let distinct = (0..<100).map { index in
            Value(id: Array("id-\(index)".utf8), hash: 42, row: index + 2, order: 0, set: 0, rowHasErrors: false)
        }
        XCTAssertEqual(try spill(distinct, budget: 64 << 10), [])
    }

    /// Ids longer than the read buffer come back whole.
    func testLongIDs() throws {
        let input = values(count: 400, seed: 3, long: true)
        XCTAssertTrue(input.contains { $0.id.count > 256 << 10 })
        XCTAssertEqual(try spill(input, budget: 64 << 10), expected(input))
    }

    func testTheFolderIsPrivateAndLeavesNothingBehind() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var path = ""
        do {
            let folder = try TemporaryFolder(in: parent)
            path = folder.path
            XCTAssertTrue(path.hasPrefix(parent + "/preflight-"))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
            let descriptor = try folder.createFile()
            defer { close(descriptor) }
            // Nameless: nothing in the folder, even while the file is open.
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), [])
            XCTAssertEqual(write(descriptor, "x", 1), 1)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertThrowsError(try TemporaryFolder(in: parent + "/missing")) {
            XCTAssertEqual("\($0)", "cannot write a temporary folder in \(parent)/missing: No such file or directory")
        }
        XCTAssertEqual(TemporaryFolder.parent("/x"), "/x")
    }
}
