import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The id registry and the memory under it: duplicates found exactly, whether the table was sized
/// ahead or grew step by step.
final class IDRegistryTests: XCTestCase {
    private func register(_ registry: IDRegistry, _ id: String, row: Int) -> Int? {
        Array(id.utf8).withUnsafeBytes { registry.register($0, hash: IDRegistry.hash($0), row: row) }
    }

    /// 200,000 ids, every tenth one repeated 100,000 rows later: each repeat names its first row,
    /// with the table reserved for a tenth of them (so it grows too) or for all of them.
    func testDuplicatesAcrossGrowthAndReservation() {
        for reserved in [0, 20_000, 300_000] {
            let registry = IDRegistry()
            if reserved > 0 { registry.reserve(reserved, averageLength: 6) }
            var found: [Int: Int] = [:]
            for row in 1...100_000 {
                XCTAssertNil(register(registry, "ID\(row)", row: row))
            }
            for row in 100_001...200_000 {
                let original = row - 100_000
                let id = original % 10 == 0 ? "ID\(original)" : "NEW\(row)"
                if let first = register(registry, id, row: row) { found[row] = first }
            }
            XCTAssertEqual(found.count, 10_000, "reserved \(reserved)")
            XCTAssertTrue(found.allSatisfy { $0.key - 100_000 == $0.value }, "reserved \(reserved)")
            XCTAssertEqual(registry.count, 190_000)
            // The empty id and a long one are ids like any other.
            XCTAssertNil(register(registry, "", row: 200_001))
            XCTAssertEqual(register(registry, "", row: 200_002), 200_001)
            let long = String(repeating: "x", count: 100_000)
            XCTAssertNil(register(registry, long, row: 200_003))
            XCTAssertEqual(register(registry, long, row: 200_004), 200_003)
        }
    }

    /// Ids with the very same hash are still told apart by their bytes (a hash is never trusted
    /// alone), and each keeps its own first row. (The table stays below its growth point: a
    /// rehash places ids by their real hash, which is what callers pass.)
    func testEqualHashesAreComparedByteForByte() {
        let registry = IDRegistry(slots: 16)
        func add(_ id: String, row: Int) -> Int? {
            Array(id.utf8).withUnsafeBytes { registry.register($0, hash: 0xDEAD_BEEF_0000_0001, row: row) }
        }
        XCTAssertNil(add("alpha", row: 2))
        XCTAssertNil(add("beta", row: 3))
        XCTAssertNil(add("", row: 4))
        XCTAssertNil(add("alphA", row: 5))
        XCTAssertEqual(add("beta", row: 50), 3)
        XCTAssertEqual(add("alpha", row: 51), 2)
        XCTAssertEqual(add("", row: 52), 4)
        XCTAssertEqual(add("alphA", row: 53), 5)
        XCTAssertEqual(registry.count, 4)
    }

    /// Three windows of chunks, registered with 1, 2 and 3 shards: every duplicate is found once,
    /// in its chunk's entry order, naming the lowest row that holds the id, however the
    /// partitions are dealt out.
    func testShardsFindTheSameDuplicatesInEntryOrder() throws {
        func chunk(_ ids: [String]) -> ChunkResult {
            var result = ChunkResult(maxErrors: 10)
            for (row, id) in ids.enumerated() {
                Array(id.utf8).withUnsafeBytes { result.ids.append($0, row: row, line: row, order: 0, rowHasErrors: false) }
            }
            return result
        }
        // Window 1: ids 0..<3000 over two chunks; window 2 repeats every third one and adds new
        // ones, one chunk repeating itself; window 3 repeats window 2's new ids.
        let windows: [[[String]]] = [
            [(0..<1500).map { "id-\($0)" }, (1500..<3000).map { "id-\($0)" }],
            [(0..<1000).map { $0 % 3 == 0 ? "id-\($0)" : "new-\($0)" }, (0..<500).map { "twice-\($0 % 250)" }],
            [(0..<1000).map { "new-\($0)" }],
        ]
        var outcomes: [[[[Int]]]] = []
        for shards in 1...3 {
            let registry = ShardedIDRegistry(shards: shards)
            var firstRow = 2
            var found: [[[Int]]] = []
            for window in windows {
                let chunks = window.map(chunk)
                var firstRows: [Int] = []
                for chunk in chunks {
                    firstRows.append(firstRow)
                    firstRow += chunk.ids.count
                }
                let perShard = try (0..<shards).map { try registry.register(chunks, firstRows: firstRows, firstLines: firstRows, shard: $0) }
                let duplicates = ShardedIDRegistry.combine(perShard, chunks: chunks.count)
                found.append(duplicates.map { $0.duplicates.flatMap { [$0.entry, $0.firstRow] } })
            }
            outcomes.append(found)
        }
        XCTAssertEqual(outcomes[0], outcomes[1])
        XCTAssertEqual(outcomes[0], outcomes[2])
        // Window 2, first chunk: entries 0, 3, 6, … repeat rows 2, 5, 8, …; the second chunk's
        // entries 250… repeat its own first 250 (rows 3002 + 1000 …).
        let second = outcomes[0][1]
        XCTAssertEqual(second[0].count, 2 * 334)
        XCTAssertEqual(Array(second[0].prefix(4)), [0, 2, 3, 5])
        XCTAssertEqual(Array(second[1].prefix(4)), [250, 4002, 251, 4003])
        XCTAssertEqual(second[1].count, 2 * 250)
        // Window 3: each new-N of window 2 (N not a multiple of 3) names its row there.
        XCTAssertEqual(outcomes[0][2][0].count, 2 * 666)
        XCTAssertEqual(Array(outcomes[0][2][0].prefix(2)), [1, 3003])
    }

    /// The table is sized from the first window, but never for more than 16 times the ids seen:
    /// a file whose ids repeat does not get a table for ids it does not have.
    func testTableSizedFromTheFirstWindowWithinACap() throws {
        var chunk = ChunkResult(maxErrors: 10)
        for row in 0..<50_000 {
            Array("id-\(row)".utf8).withUnsafeBytes { chunk.ids.append($0, row: row, line: row, order: 0, rowHasErrors: false) }
        }
        var proportional = ChunkMerger(log: IssueLog(maxErrors: 10), firstDataRow: 1, firstLine: 1, maxRows: 0,
                                       idField: "id", idShards: 2)
        try proportional.reserveIDs(like: [chunk], share: 0.25)  // 200,000 ids expected
        XCTAssertEqual(proportional.idSlotCapacity, 2 * 262_144)  // (100,000 + 12,500 + 1,024) per shard, ≤ 3/4 full
        var capped = ChunkMerger(log: IssueLog(maxErrors: 10), firstDataRow: 1, firstLine: 1, maxRows: 0,
                                 idField: "id", idShards: 2)
        try capped.reserveIDs(like: [chunk], share: 0.000_000_001)  // 50 billion expected: capped at 800,000
        XCTAssertEqual(capped.idSlotCapacity, 2 * 1_048_576)  // (400,000 + 50,000 + 1,024) per shard
    }

    /// Small and large blocks read as zeros, are writable to their last byte, and are 64-byte aligned.
    func testPageMemoryIsZeroedAlignedAndWritable() {
        for size in [1, 100, PageMemory.mappedThreshold - 1, PageMemory.mappedThreshold, PageMemory.hugeThreshold - 1, PageMemory.hugeThreshold, 9 << 20] {
            let block = PageMemory.allocate(byteCount: size)
            XCTAssertEqual(Int(bitPattern: block) % 64, 0)
            let bytes = UnsafeMutableRawBufferPointer(start: block, count: size)
            XCTAssertTrue(bytes.allSatisfy { $0 == 0 }, "size \(size)")
            bytes[size - 1] = 7
            bytes[0] = 9
            XCTAssertEqual(bytes[size - 1] &+ bytes[0], size == 1 ? 18 : 16)
            PageMemory.deallocate(block, byteCount: size)
        }
    }
}
