import Foundation
import XCTest
@testable import Preflight

/// What a run tells the outside while it goes: progress, a stop on request, rows to observers.
final class RunHooksTests: XCTestCase {
    /// Records progress; asks to stop after `stopAfter` progress calls.
    final class Recorder: RunMonitor {
        var calls: [(Int, Int?)] = []
        let stopAfter: Int

        init(stopAfter: Int) {
            self.stopAfter = stopAfter
        }

        func progress(bytesRead: Int, totalBytes: Int?) { calls.append((bytesRead, totalBytes)) }
        var stopRequested: Bool { calls.count >= stopAfter }
    }

    private func ndjson(rows: Int) -> [UInt8] {
        Array((0..<rows).map { "{\"id\":\"P\($0)\",\"t\":\"\(String(repeating: "x", count: 40))\"}\n" }.joined().utf8)
    }

    func testProgressGrowsToTheInputSize() throws {
        let input = ndjson(rows: 5000)  // about 280 KB: several windows of the smallest size
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.windowSize = 0
        options.recordCap = 1000
        let recorder = Recorder(stopAfter: .max)
        let report = try Validator.validate(bytes: input, name: "p.ndjson", options: options,
                                            hooks: RunHooks(monitor: recorder))
        XCTAssertTrue(report.isComplete)
        XCTAssertEqual(report.totalRows, 5000)
        XCTAssertGreaterThan(recorder.calls.count, 10)
        XCTAssertEqual(recorder.calls.map(\.0), recorder.calls.map(\.0).sorted())
        XCTAssertEqual(recorder.calls.last?.0, input.count)
        XCTAssertTrue(recorder.calls.allSatisfy { $0.1 == input.count })
    }

    func testAStopKeepsTheCountsSoFar() throws {
        let input = ndjson(rows: 5000)
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.windowSize = 0
        options.recordCap = 1000
        let report = try Validator.validate(bytes: input, name: "p.ndjson", options: options,
                                            hooks: RunHooks(monitor: Recorder(stopAfter: 3)))
        XCTAssertFalse(report.isComplete)
        // Three windows of 5096 bytes read, whole lines of 57 bytes checked.
        XCTAssertGreaterThan(report.totalRows, 0)
        XCTAssertLessThan(report.totalRows, 3 * 5096 / 57 + 1)
        XCTAssertEqual(report.totalErrors, 0)
    }

    func testRowsLongerThanTheWindowReachObserversWhole() throws {
        // A 20,000-byte line with a window of about 5 KB: its bytes come in pieces; the example is
        // its first 1000 bytes, the error stream has its error at its row.
        let long = "{\"id\":\"\",\"t\":\"" + String(repeating: "y", count: 20_000) + "\"}"
        let input = Array(("{\"id\":\"A\"}\n" + long + "\n{\"id\":\"\",\"u\":1}\n").utf8)
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.windowSize = 0
        options.recordCap = 1000
        let messages = ProductsupCollector(maxMessages: 0)
        let errorRows = ErrorRowCounter()
        let report = try Validator.validate(bytes: input, name: "p.ndjson", options: options,
                                            hooks: RunHooks(observers: [messages, errorRows]))
        XCTAssertEqual(report.errors.map(\.code), ["record_too_large", "missing_id"])
        XCTAssertEqual(messages.entries.map(\.message), ["Product payload is too large", "Missing \"id\" attribute"])
        XCTAssertEqual(messages.entries.map(\.lineNumber), [2, 3])
        XCTAssertEqual(messages.entries[0].value, String(long.prefix(1000)))
        XCTAssertEqual(messages.entries[1].value, "{\"id\":\"\",\"u\":1}")
        XCTAssertEqual(errorRows.rows, 2)
    }
}
