import Foundation
import XCTest
@_spi(Tuning) @testable import Preflight

/// A JSON wrapper object (`{"data": [...]}`) streams its array like a top-level one: every report
/// and every observer call must be those of reading the document whole, whatever the window, the
/// thread count and the memory limit, and documents that are not valid must still say so.
final class WrapperStreamTests: XCTestCase {
    private static func elements(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitTests.Random(state: seed)
        return (0..<count).map { index in
            let id = random.next() % 20 == 0 ? "T\(random.next() % UInt64(index + 1))" : "T\(index)"
            let amount = ["\"1.5\"", "\"x\"", "-2", "3"][Int(random.next() % 4)]
            let customer = random.next() % 10 == 0 ? ",\"customer\":{\"id\":\"C\\n1\"}" : ""
            return "{\"transaction_id\":\"\(id)\",\"amount\":\(amount),\"date\":\"2026-01-02\",\"store_id\":\"S\"\(customer)}"
        }
    }

    /// Documents: wrappers with other members around the array, several candidates (the last
    /// copy of the first name holding an array wins), a BOM, line breaks; and invalid ones.
    static func documents() -> [(String, String)] {
        let rows = elements(2_000, seed: 11)
        let array = "[\n" + rows.joined(separator: ",\n") + "\n]"
        let small = "[" + rows.prefix(30).joined(separator: ",") + "]"
        return [
            ("plain", "{\"data\": \(array)}"),
            ("members around", "{\"meta\": {\"x\": [1, 2, {\"y\": \"]\"}]}, \"count\": 2000,\n \"data\": \(array),\n \"tail\": \"x\"}\n"),
            ("bom, records", "\u{FEFF}{\n  \"records\": \(array),\n  \"data\": 5\n}"),
            ("items before data", "{\"items\": \(small), \"data\": \(array), \"data2\": []}"),
            ("last copy", "{\"data\": \(small), \"data\": \(array)}"),
            ("last copy not an array", "{\"rows\": \(array), \"data\": \(small), \"data\": 7}"),
            ("empty array", "{\"data\": []}"),
            ("odd elements", "{\"data\": [[1,2], \"s\", 3, null, {}]}"),
            ("element not valid", "{\"data\": \(array.replacingOccurrences(of: "\"T7\"", with: "{\"a\": tru}"))}"),
            ("raw tab in an element", "{\"data\": \(array.replacingOccurrences(of: "\"T7\"", with: "\"a\tb\""))}"),
            ("between elements", "{\"data\": \(array.replacingOccurrences(of: "\"T5\"}", with: "\"T5\"} 1"))}"),
            ("outside not valid", "{\"x\": tru, \"data\": \(array)}"),
            ("number outside not valid", "{\"data\": \(array), \"n\": 01}"),
            ("truncated", String("{\"data\": \(array)}".dropLast(4))),
            ("after the object", "{\"data\": \(array)} x"),
            ("escaped name", "{\"d\\u0061ta\": \(small)}"),
            ("no wrapper", "{\"nothing\": \(small)}"),
            ("empty object", "{}"),
        ]
    }

    private func outcome(_ text: String, windowSize: Int, threads: Int, memoryLimit: Int, streams: Bool) throws
        -> (report: String, calls: [String]) {
        JSONWrapperScan.streams = streams
        defer { JSONWrapperScan.streams = true }
        var options = ValidationOptions(schema: .genericTransactions, format: .json)
        options.windowSize = windowSize
        options.lineCap = 4096
        options.threads = threads
        options.maxErrors = 0
        options.memoryLimit = memoryLimit
        let recorder = HeldBackRowsTests.CallRecorder()
        let report = try Validator.validate(bytes: Array(text.utf8), name: "wrapped.json", options: options,
                                            hooks: RunHooks(observers: [recorder]))
        let piing = String(decoding: try ReportRenderer(style: .piing).render(report), as: UTF8.self)
        return (piing + report.errors.map { $0.value ?? "-" }.joined(separator: "|"), recorder.calls)
    }

    func testWrapperArraysStreamWithTheWholeDocumentsAnswers() throws {
        for (name, text) in Self.documents() {
            let whole = try outcome(text, windowSize: 1 << 20, threads: 1, memoryLimit: 0, streams: false)
            for (window, threads) in [(8192, 1), (8192, 3), (1 << 20, 2)] {
                let streamed = try outcome(text, windowSize: window, threads: threads, memoryLimit: 0, streams: true)
                XCTAssertEqual(streamed.report, whole.report, "\(name), window \(window), \(threads) threads")
                // Rows handed over before a syntax error voided them are dropped (`discardRows`): what
                // counts is what follows the last discard.
                func kept(_ calls: [String]) -> [String] {
                    guard let discard = calls.lastIndex(of: "discard") else { return calls }
                    return [calls[0]] + calls[(discard + 1)...]
                }
                XCTAssertTrue(kept(streamed.calls) == kept(whole.calls),
                              "\(name), window \(window), \(threads) threads: observer calls differ")
            }
        }
    }

    /// Under a memory limit, rows of a wrapper's array held back for their verdicts are read
    /// again from inside the array, and only up to its end.
    func testHeldBackRowsOfAWrapperArray() throws {
        let rows = HeldBackRowsTests.rows(.json, count: 30_000, seed: 6)
        let array = String(decoding: rows, as: UTF8.self)
        let text = "{\"meta\": {\"rows\": [1]},\n\"data\": " + array + ",\n\"after\": [\"x\"]}"
        var options = ValidationOptions(schema: OutOfCoreTests.schema, format: .json)
        options.windowSize = 1 << 16
        options.lineCap = 4096
        options.maxErrors = 0
        func run(_ limit: Int, streams: Bool) throws -> (ValidationReport, [String]) {
            JSONWrapperScan.streams = streams
            defer { JSONWrapperScan.streams = true }
            var options = options
            options.memoryLimit = limit
            let recorder = HeldBackRowsTests.CallRecorder()
            let report = try Validator.validate(bytes: Array(text.utf8), name: "orders.json", options: options,
                                                hooks: RunHooks(observers: [recorder]))
            return (report, recorder.calls)
        }
        /// A row longer than the window comes in pieces when streamed, whole when read whole.
        func joined(_ calls: [String]) -> [String] {
            var out: [String] = []
            for call in calls {
                if call.hasPrefix("bytes "), let last = out.last, last.hasPrefix("bytes ") {
                    out[out.count - 1] = last + call.dropFirst("bytes ".count)
                } else {
                    out.append(call)
                }
            }
            return out
        }
        var whole = try run(0, streams: false)
        whole.1 = joined(whole.1)
        XCTAssertTrue(whole.1.contains { $0.contains("duplicate_id") })
        let readings = RowDelivery.secondReadings
        var limited = try run(2 << 20, streams: true)
        limited.1 = joined(limited.1)
        XCTAssertEqual(RowDelivery.secondReadings, readings + 1)
        XCTAssertEqual(limited.0, whole.0)
        if limited.1 != whole.1 {
            let first = limited.1.indices.first { $0 >= whole.1.count || limited.1[$0] != whole.1[$0] } ?? limited.1.count
            XCTFail("observer calls differ at \(first) of \(limited.1.count)/\(whole.1.count): "
                    + "\(limited.1[min(first, limited.1.count - 1)].prefix(150)) vs \(whole.1[min(first, whole.1.count - 1)].prefix(150))")
        }
    }
}
