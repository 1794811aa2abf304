import XCTest
@testable import Preflight

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

    /// Small and large blocks read as zeros, are writable to their last byte, and are 64-byte aligned.
    func testPageMemoryIsZeroedAlignedAndWritable() {
        for size in [1, 100, PageMemory.mappedThreshold - 1, PageMemory.mappedThreshold, 9 << 20] {
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
