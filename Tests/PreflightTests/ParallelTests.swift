import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Seeded generator of inputs with every row-level error class, quoted commas and newlines, CRLF
/// and a BOM, so chunk and window boundaries fall everywhere, inside quoted fields included.
private struct Generator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    mutating func csv(rows: Int) -> [UInt8] {
        var text: [UInt8] = Array("\u{FEFF}transaction_id,amount,date,store_id,customer_id,tax\r\n".utf8)
        for row in 0..<rows {
            let id = next(10) == 0 ? "TXN\(next(row + 1))" : "TXN\(row)"
            var amount = "\(next(1000)).\(next(90) + 10)"
            var date = "2026-0\(next(9) + 1)-1\(next(9))"
            var store = "S\(next(20))"
            var customer = "C\(next(100))"
            var tax = ""
            switch next(24) {
            case 0: amount = "abc"
            case 1: amount = "-\(amount)"
            case 2: date = "2026-02-30"
            case 3: store = ""
            case 4: customer = "\"multi\nline, \"\"quoted\"\"\r\nvalue\""
            case 5: customer = "\"a,b\""
            case 6: customer = "12\" pizza"
            case 7: customer = "\"open"  // unterminated until a later quote closes it
            case 8: tax = " 1"
            case 9: store = "S\u{1}"
            case 10: text += [0xFF]
            case 11: customer = "x,extra"
            case 12: customer = "\"" + String(repeating: "long\n", count: 40) + "\""
            case 13: text += Array("\n\n".utf8)
            default: break
            }
            let line = "\(id),\(amount),\(date),\(store),\(customer),\(tax)"
            text += Array(line.utf8)
            text += Array((next(3) == 0 ? "\r\n" : "\n").utf8)
        }
        return text
    }

    /// CSV whose records are often longer than a chunk or the cap (up to 3,000 bytes, unquoted),
    /// with every kind of line ending, so that a worker's chunks start at irregular places from
    /// window to window.
    mutating func csvWithLongRecords(rows: Int) -> [UInt8] {
        var text: [UInt8] = Array("transaction_id,amount,date,store_id,customer_id,tax\n".utf8)
        for _ in 0..<rows {
            var fields = ["TXN\(next(rows))", "\(next(1000)).5", "2026-01-1\(next(9))", "S\(next(9))", "C", ""]
            switch next(20) {
            case 0: fields[4] = String(repeating: "x", count: next(400))
            case 1: fields[4] = "a\rb"
            case 2: fields[4] = "\"q,\nq\""
            case 3: fields[4] = "é"
            case 4: fields[4] = "a\u{1}"
            case 5: fields[4] = "a\tb"
            case 6: fields.append("extra")
            case 7: fields[4] = "\"bad\"x"
            case 8: fields[4] = String(repeating: "y", count: 100 + next(150))
            case 9, 10: fields[4] = String(repeating: "z", count: 500 + next(2500))
            default: break
            }
            text += Array(fields.joined(separator: ",").utf8)
            text += Array(["\r\n", "\n\n", "\n\r\n", "\n", "\n", "\n"][next(6)].utf8)
        }
        if next(2) == 0 { text.removeLast() }
        return text
    }

    mutating func ndjson(rows: Int) -> [UInt8] {
        var text: [UInt8] = []
        for row in 0..<rows {
            let id = next(10) == 0 ? "\(next(row + 1))" : "\"P\(row)\""
            var line = "{\"id\":\(id),\"title\":\"item \(row)\",\"n\":{\"a\":[1,\(next(9))]}}"
            switch next(16) {
            case 0: line = ""
            case 1: line = "{\"id\":\"x\""
            case 2: line = "[1]"
            case 3: line = "{}"
            case 4: line = "{\"id\":\"a\u{1}\"}"
            case 5: line = "{\"title\":\"no id\"}"
            case 6: line = "{\"id\":\"" + String(repeating: "z", count: 300) + "\"}"
            default: break
            }
            text += Array(line.utf8)
            if next(20) == 0 { text += [0xC3] }
            text += Array((next(3) == 0 ? "\r\n" : "\n").utf8)
        }
        return text
    }
}

/// Where two renderings first differ, with some context (full reports are too long to read).
func firstDifference(_ one: String, _ other: String) -> String {
    let a = Array(one.utf8), b = Array(other.utf8)
    var index = 0
    while index < min(a.count, b.count), a[index] == b[index] { index += 1 }
    if index == a.count && index == b.count { return "identical" }
    let from = max(0, index - 150)
    return "at byte \(index): …\(String(decoding: a[from..<min(a.count, index + 150)], as: UTF8.self))… vs …"
        + "\(String(decoding: b[from..<min(b.count, index + 150)], as: UTF8.self))…"
}

final class ParallelTests: XCTestCase {
    private func render(_ bytes: [UInt8], _ format: InputFormat, schema: Schema, threads: Int, window: Int,
                        engine: CSVEngine = .prescan) throws -> String {
        let report = try validate(bytes: bytes, format, schema: schema) {
            $0.threads = threads
            $0.windowSize = window
            $0.lineCap = 256
            $0.csvEngine = engine
            $0.maxRows = 150
            $0.maxErrors = 0
        }
        return PiingReport.render(report)
    }

    /// The report is byte for byte the same for 1, 2, 3 and 7 threads and for windows that cut
    /// the input everywhere, and both CSV engines agree.
    func testCSVReportsDoNotDependOnThreadsWindowsOrEngine() throws {
        for seed in 1...6 {
            var generator = Generator(seed: UInt64(seed))
            let bytes = generator.csv(rows: 200)
            let reference = try render(bytes, .csv, schema: .genericTransactions, threads: 1, window: 1 << 20,
                                       engine: .libcsv)
            XCTAssertTrue(reference.contains("\"too_many_rows\""), reference)
            for threads in [1, 2, 3, 7] {
                for window in [4096 + 256, 5000, 7919, 1 << 20] {
                    for engine in CSVEngine.allCases {
                        let other = try render(bytes, .csv, schema: .genericTransactions, threads: threads, window: window,
                                               engine: engine)
                        XCTAssertTrue(other == reference, "seed \(seed), \(threads) threads, window \(window), \(engine): "
                                      + firstDifference(other, reference))
                    }
                }
            }
        }
    }

    /// Records longer than a chunk make a worker's next chunk start where its last one ended,
    /// in a window that holds other bytes: nothing found in the old bytes may be used again.
    func testCSVLongRecordsAcrossIrregularChunks() throws {
        func render(_ bytes: [UInt8], threads: Int, window: Int, engine: CSVEngine, cap: Int) throws -> String {
            PiingReport.render(try validate(bytes: bytes, .csv, schema: .genericTransactions) {
                $0.threads = threads
                $0.windowSize = window
                $0.lineCap = cap
                $0.csvEngine = engine
                $0.maxRows = 0
                $0.maxErrors = 0
            })
        }
        for seed in 1...40 {
            var generator = Generator(seed: UInt64(seed))
            let bytes = generator.csvWithLongRecords(rows: 300 + generator.next(500))
            let cap = 200 + generator.next(100)
            let reference = try render(bytes, threads: 1, window: 1 << 22, engine: .libcsv, cap: cap)
            for threads in [3, 4, 6, 8] {
                let other = try render(bytes, threads: threads, window: 0, engine: .prescan, cap: cap)
                XCTAssertTrue(other == reference, "seed \(seed), \(threads) threads: " + firstDifference(other, reference))
            }
        }
    }

    func testNDJSONReportsDoNotDependOnThreadsOrWindows() throws {
        for seed in 1...6 {
            var generator = Generator(seed: UInt64(seed))
            let bytes = generator.ndjson(rows: 300)
            let reference = try render(bytes, .ndjson, schema: .productsupStream, threads: 1, window: 1 << 20)
            for threads in [1, 2, 3, 7] {
                for window in [4096 + 256, 6007, 1 << 20] {
                    let other = try render(bytes, .ndjson, schema: .productsupStream, threads: threads, window: window)
                    XCTAssertTrue(other == reference, "seed \(seed), \(threads) threads, window \(window): "
                                  + firstDifference(other, reference))
                }
            }
        }
    }

    func testJSONArrayReportsDoNotDependOnThreadsOrWindows() throws {
        for seed in 1...4 {
            var generator = Generator(seed: UInt64(seed))
            var elements: [String] = []
            for row in 0..<300 {
                switch generator.next(12) {
                case 0: elements.append("[1,\n2]")
                case 1: elements.append("{}")
                case 2: elements.append("{\"id\":\"" + String(repeating: "w", count: 300) + "\"}")
                case 3: elements.append("{\"id\":\(generator.next(row + 1)),\"n\":{\"a\":[1, \"x\"]}}")
                case 4: elements.append("\"text\"")
                default: elements.append("{\"id\":\"P\(row)\",\n  \"title\":\"a \\\"quoted\\\" ]} title\"}")
                }
            }
            let bytes = Array(("[\n" + elements.joined(separator: ",\n") + "\n]\n").utf8)
            let reference = try render(bytes, .json, schema: .productsupStream, threads: 1, window: 1 << 20)
            XCTAssertTrue(reference.contains("\"record_too_large\""), reference)
            for threads in [1, 2, 3, 7] {
                for window in [4096 + 256, 5003, 1 << 20] {
                    let other = try render(bytes, .json, schema: .productsupStream, threads: threads, window: window)
                    XCTAssertTrue(other == reference, "seed \(seed), \(threads) threads, window \(window): "
                                  + firstDifference(other, reference))
                }
            }
        }
    }

    /// A syntax error far into a streamed array: the whole file is invalid, with the error's
    /// line and byte offset in the file, whatever the window.
    func testJSONSyntaxErrorLateInAStreamedArray() throws {
        let good = (0..<500).map { "{\"id\":\($0)}" }.joined(separator: ",\n")
        let text = "[\n" + good + ",\n{\"id\":01}\n]"
        let offset = 2 + good.utf8.count + 2 + 6
        for window in [4096 + 256, 1 << 20] {
            let report = try validate(text, .json, schema: .productsupStream) {
                $0.windowSize = window
                $0.lineCap = 256
            }
            XCTAssertEqual(report.located, [Located(0, 0, nil, "invalid_file")])
            XCTAssertTrue(report.errors[0].error.hasPrefix("File is not a valid JSON: syntax error at line 502, byte offset \(offset): "),
                          report.errors[0].error)
            XCTAssertEqual(report.totalRows, 0)
        }
        let trailing = try validate("[\n" + good + "\n] x", .json, schema: .productsupStream) { $0.windowSize = 4096 + 256; $0.lineCap = 256 }
        XCTAssertEqual(trailing.codes, ["invalid_file"])
        XCTAssertTrue(trailing.errors[0].error.contains("content after the end of the array"), trailing.errors[0].error)
    }

    /// An element longer than the window: one `record_too_large`, then the rest as usual.
    func testJSONElementLongerThanTheWindow() throws {
        let huge = "{\"id\":\"" + String(repeating: "h\\n", count: 20_000) + "\", \"x\":[1,2]}"
        let text = "[{\"id\":1},\n" + huge + ",\n{\"id\":1}]"
        for threads in [1, 2] {
            let report = try validate(text, .json, schema: .productsupStream) {
                $0.threads = threads
                $0.windowSize = 4096
                $0.lineCap = 100
            }
            XCTAssertEqual(report.located, [Located(2, 2, nil, "record_too_large"), Located(3, 3, "id", "duplicate_id")])
        }
    }

    /// A quoted field far longer than the window: one `record_too_large`, rows after it exact.
    func testRecordLongerThanTheWindow() throws {
        let huge = "\"" + String(repeating: "q\n", count: 20_000) + "\""
        let text = "\(csvHeader)\nT1,1,2024-01-01,S\nT2,1,2024-01-01,\(huge)\nT3,x,2024-01-01,S\n"
        for threads in [1, 2] {
            let report = try validate(text, .csv) {
                $0.threads = threads
                $0.windowSize = 4096
                $0.lineCap = 100
            }
            XCTAssertEqual(report.located, [Located(3, 3, nil, "record_too_large"), Located(4, 20_004, "amount", "invalid_amount")])
            XCTAssertEqual(report.totalRows, 3)
        }
        let line = "{\"id\":\"" + String(repeating: "z", count: 30_000) + "\"}"
        let report = try validate("{\"id\":1}\n\(line)\n{\"id\":1}\n", .ndjson, schema: .productsupStream) {
            $0.windowSize = 4096
            $0.lineCap = 100
        }
        XCTAssertEqual(report.located, [Located(2, 2, nil, "record_too_large"), Located(3, 3, "id", "duplicate_id")])
    }

    /// An unterminated quote that swallows the rest of a file spanning many windows.
    func testUnterminatedQuoteAcrossWindows() throws {
        let rest = (1...2000).map { "T\($0),1,2024-01-01,S" }.joined(separator: "\n")
        let text = "\(csvHeader)\nT0,1,2024-01-01,\"S\n\(rest)\n"
        let report = try validate(text, .csv) {
            $0.windowSize = 4096
            $0.lineCap = 100
        }
        XCTAssertEqual(report.located, [Located(2, 2, nil, "record_too_large")])
        XCTAssertEqual(report.totalRows, 1)
    }
}
