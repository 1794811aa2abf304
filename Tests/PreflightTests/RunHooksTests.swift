import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// What a run tells the outside while it goes: progress, a stop on request, rows to observers.
final class RunHooksTests: XCTestCase {
    /// Records progress calls with their times; asks to stop once `stopAt` has passed.
    final class Recorder: RunMonitor, @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [(bytes: Int, total: Int?, at: Double)] = []
        private var stopAt: Double?

        var calls: [(bytes: Int, total: Int?, at: Double)] { lock.withLock { recorded } }

        func progress(bytesRead: Int, totalBytes: Int?) {
            lock.withLock { recorded.append((bytesRead, totalBytes, Self.now)) }
        }

        var stopRequested: Bool { lock.withLock { stopAt.map { Self.now >= $0 } ?? false } }

        func stop(after seconds: Double) { lock.withLock { stopAt = Self.now + seconds } }

        static var now: Double { Date.timeIntervalSinceReferenceDate }
    }

    /// `rows` NDJSON lines of about 100 bytes, distinct ids.
    private func ndjson(rows: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows * 100)
        let filler = Array(String(repeating: "x", count: 70).utf8)
        for row in 0..<rows {
            bytes += Array("{\"id\":\"P\(row)\",\"t\":\"".utf8)
            bytes += filler
            bytes += Array("\"}\n".utf8)
        }
        return bytes
    }

    /// The same rows as CSV (generic_transactions) and as a JSON array (square_pos).
    private func input(_ format: InputFormat, rows: Int) -> ([UInt8], Schema) {
        switch format {
        case .ndjson: return (ndjson(rows: rows), .productsupStream)
        case .csv:
            var bytes = Array("transaction_id,amount,date,store_id,customer_id\n".utf8)
            let filler = String(repeating: "c", count: 60)
            for row in 0..<rows { bytes += Array("T\(row),1.00,2026-01-07,S1,\(filler)\n".utf8) }
            return (bytes, .genericTransactions)
        case .json:
            var bytes = Array("[\n".utf8)
            let filler = String(repeating: "c", count: 40)
            for row in 0..<rows {
                bytes += Array("{\"transaction_id\":\"T\(row)\",\"gross_sales\":1.5,\"created_at\":\"2026-01-07\",\"location_id\":\"\(filler)\"},\n".utf8)
            }
            bytes.removeLast(2)
            bytes += Array("\n]\n".utf8)
            return (bytes, .squarePOS)
        }
    }

    func testProgressMovesWithinAWindowAtLeastEveryQuarterSecond() throws {
        // About 30 MB in one window: progress must not wait for the window's end.
        let bytes = ndjson(rows: 300_000)
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.threads = 2
        let recorder = Recorder()
        let started = Recorder.now
        let report = try Validator.validate(bytes: bytes, name: "p.ndjson", options: options,
                                            hooks: RunHooks(monitor: recorder))
        let seconds = Recorder.now - started
        XCTAssertTrue(report.isComplete)
        XCTAssertEqual(report.totalRows, 300_000)
        let calls = recorder.calls
        XCTAssertEqual(calls.last?.bytes, bytes.count, "the last call says everything was read")
        XCTAssertTrue(calls.allSatisfy { $0.total == bytes.count })
        XCTAssertEqual(calls.map(\.bytes), calls.map(\.bytes).sorted(), "progress never goes back")
        let times = [started] + calls.map(\.at)
        let longestGap = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? 0
        XCTAssertLessThanOrEqual(longestGap, 0.25, "a progress call at least every 0.25 s (run took \(seconds) s)")
        guard seconds > 0.5 else { return }  // a fast machine: nothing more to see within the window
        let within = Set(calls.map(\.bytes).filter { $0 > 0 && $0 < bytes.count })
        XCTAssertGreaterThanOrEqual(within.count, 2, "progress moves inside the one window: \(calls.map(\.bytes))")
    }

    func testAStopIsHonouredWithinHalfASecondInsideAWindow() throws {
        for format in [InputFormat.csv, .ndjson, .json] {
            for threads in [1, 2] {
                let (bytes, schema) = input(format, rows: 250_000)  // 20–25 MB: one window
                var options = ValidationOptions(schema: schema, format: format)
                options.threads = threads
                options.maxRows = 0
                options.maxFileSize = 0
                let recorder = Recorder()
                recorder.stop(after: 0.2)
                let started = Recorder.now
                let report = try Validator.validate(bytes: bytes, name: "big", options: options,
                                                    hooks: RunHooks(monitor: recorder))
                let stoppedAfter = Recorder.now - started - 0.2
                XCTAssertFalse(report.isComplete, "\(format), \(threads) threads: the run was not stopped")
                XCTAssertLessThanOrEqual(stoppedAfter, 0.5, "\(format), \(threads) threads")
                // The rows checked before the stop are counted, and they are all valid.
                XCTAssertLessThan(report.totalRows, 250_000)
                XCTAssertEqual(report.invalidRows, 0, "\(format)")
                XCTAssertEqual(report.totalErrors, 0, "\(format)")
            }
        }
    }

    func testAStopBeforeTheStartKeepsNothing() throws {
        let bytes = ndjson(rows: 5000)
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.windowSize = 0
        options.lineCap = 1000
        let recorder = Recorder()
        recorder.stop(after: 0)
        let report = try Validator.validate(bytes: bytes, name: "p.ndjson", options: options,
                                            hooks: RunHooks(monitor: recorder))
        XCTAssertFalse(report.isComplete)
        XCTAssertLessThan(report.totalRows, 5000)
        XCTAssertEqual(report.totalErrors, 0)
    }

    func testRowsLongerThanTheWindowReachObserversWhole() throws {
        // A 20,000-byte line with a window of about 5 KB: its bytes come in pieces; the example is
        // its first 1000 bytes, the error stream has its error at its row.
        let long = "{\"id\":\"\",\"t\":\"" + String(repeating: "y", count: 20_000) + "\"}"
        let input = Array(("{\"id\":\"A\"}\n" + long + "\n{\"id\":\"\",\"u\":1}\n").utf8)
        var options = ValidationOptions(schema: .productsupStream, format: .ndjson)
        options.windowSize = 0
        options.lineCap = 1000
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

/// Observers written with only what they need (every requirement has a default), and the
/// closure-based `RejectedRows`.
final class EasyObserverTests: XCTestCase {
    final class RowCounter: RowObserver {
        var rows = 0
        func endRow() { rows += 1 }
    }

    func testObserversNeedOnlyWhatTheyUse() throws {
        let counter = RowCounter()
        var rejected: [RejectedRows.Row] = []
        let collector = RejectedRows { rejected.append($0) }
        let text = "transaction_id,amount,date,store_id\nT1,1.00,2024-01-01,S\nT2,x,2024-01-01,S\n\"T3\nz\",-1,2024-13-01,\n"
        var options = ValidationOptions(schema: .genericTransactions, format: .csv)
        options.maxErrors = 0
        _ = try Validator.validate(bytes: Array(text.utf8), name: "t.csv", options: options,
                                   hooks: RunHooks(observers: [counter, collector]))
        XCTAssertEqual(counter.rows, 3)
        XCTAssertEqual(rejected.map(\.row), [3, 4])
        XCTAssertEqual(rejected.map(\.line), [3, 4])
        XCTAssertEqual(rejected.map { String(decoding: $0.bytes, as: UTF8.self) }, ["T2,x,2024-01-01,S\n", "\"T3\nz\",-1,2024-13-01,\n"])
        XCTAssertEqual(rejected[1].issues.map(\.code), ["invalid_amount", "invalid_date", "missing_required_field"])

        // A JSON file that turns out invalid voids its rows.
        var discarded = false
        let json = RejectedRows(onDiscard: { discarded = true }) { _ in }
        options.format = .json
        _ = try Validator.validate(bytes: Array(#"[{"transaction_id":"T1"}, {"x": }"#.utf8), name: "t.json", options: options,
                                   hooks: RunHooks(observers: [json]))
        XCTAssertTrue(discarded)
    }
}
