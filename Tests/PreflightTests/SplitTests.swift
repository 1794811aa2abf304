import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// SPEC §8, rows are never lost: `--rejects` and `--clean` split generated inputs that hold every
/// error class so that each data row lands in exactly one file, byte for byte. The expected files
/// come from the generator, which knows which rows it made bad, not from the validator.
final class SplitTests: XCTestCase {
    /// A small deterministic generator (SplitMix64).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// An input with the rows each output must hold.
    struct Sample {
        var input: [UInt8] = []
        var clean: [UInt8] = []
        var rejects: [UInt8] = []
        var badRows = 0
        var rows = 0

        mutating func header(_ text: String) {
            let bytes = Array(text.utf8)
            input += bytes
            clean += bytes
            rejects += bytes
        }

        /// A row as it is written in the input, and as it must appear in its output.
        mutating func row(_ written: [UInt8], output: [UInt8]? = nil, bad: Bool) {
            input += written
            if bad {
                rejects += output ?? written
                badRows += 1
            } else {
                clean += output ?? written
            }
            rows += 1
        }
    }

    static let recordCap = 100

    /// CSV rows of every kind; blank lines between some (not rows, so in neither output).
    static func csvSample(seed: UInt64, rows: Int) -> Sample {
        var random = Random(state: seed)
        var sample = Sample()
        sample.header("transaction_id,amount,date,store_id\n")
        sample.row(Array("T0,1.00,2024-01-01,S0\n".utf8), bad: false)
        for index in 1..<rows {
            let isLast = index == rows - 1
            let terminator = isLast && random.below(2) == 0 ? "" : (random.below(3) == 0 ? "\r\n" : "\n")
            let id = "T\(index)"
            var bad = true
            var text: [UInt8]
            switch random.below(15) {
            case 0: text = Array("\(id),1.00,2024-01-01,S".utf8); bad = false
            case 1: text = Array("\(id),2.50,2024-02-29,\"S,\n\(index)\"".utf8); bad = false
            case 2: text = Array("\(id),abc,2024-01-01,S".utf8)
            case 3: text = Array(",1.00,2024-01-01,S".utf8)
            case 4: text = Array("T0,1.00,2024-01-01,S".utf8)
            case 5: text = Array("\(id),1.00".utf8)
            case 6: text = Array("\(id),12\" x,2024-01-01,S".utf8)
            case 7: text = Array("\(id),\"1.00\"x,2024-01-01,S".utf8)
            case 8: text = Array("\(id),1.00,2024-01-01,S".utf8) + [0x01]
            case 9: text = Array("\(id),1.00,2024-01-01,S".utf8) + [0xFF]
            case 10: text = Array("\(id),1.00,2024-01-01,\"\(String(repeating: "x", count: 150))\"".utf8)
            case 11:  // longer than the whole read window: skipped piece by piece
                text = Array("\(id),1.00,2024-01-01,\"".utf8)
                for _ in 0..<60 { text += Array((String(repeating: "y", count: 99) + "\n").utf8) }
                text += [0x22]
            case 12: text = Array("\(id),1.00,2026-02-30,S".utf8)
            case 13: text = Array("\(id),1.00,2024-01-01,   ".utf8)
            default: text = Array("\(id),\"1\"\"0\",2024-01-01,S".utf8)
            }
            if isLast, random.below(3) == 0 {
                text = Array("\(id),1.00,2024-01-01,\"open\nand never closed".utf8)
                bad = true
                sample.row(text, bad: bad)
                break
            }
            sample.row(text + Array(terminator.utf8), bad: bad)
            if !isLast, random.below(6) == 0 { sample.input += Array((random.below(2) == 0 ? "\n" : "\r\n").utf8) }
        }
        return sample
    }

    /// NDJSON lines of every kind; every line is a row (blank ones are `empty_line`).
    static func ndjsonSample(seed: UInt64, rows: Int) -> Sample {
        var random = Random(state: seed)
        var sample = Sample()
        sample.row(Array("{\"id\":\"P0\"}\n".utf8), bad: false)
        for index in 1..<rows {
            let isLast = index == rows - 1
            let terminator = isLast && random.below(2) == 0 ? "" : (random.below(3) == 0 ? "\r\n" : "\n")
            var bad = true
            var text: [UInt8]
            switch random.below(12) {
            case 0: text = Array("{\"id\":\"P\(index)\",\"t\":\"a b\"}".utf8); bad = false
            case 1: text = Array("{\"id\":\(index),\"n\":{\"x\":[1,2]}}".utf8); bad = false
            case 2: text = Array("{\"t\":\"x\"}".utf8)
            case 3: text = random.below(2) == 0 ? [] : Array("   ".utf8)
            case 4: text = Array("{\"id\":".utf8)
            case 5: text = Array("[1]".utf8)
            case 6: text = Array("{}".utf8)
            case 7: text = Array("{\"id\":\"a\tb\"}".utf8)
            case 8: text = Array("{\"id\":\"".utf8) + [0xFF] + Array("\"}".utf8)
            case 9: text = Array("{\"id\":\"P\(index)\",\"t\":\"\(String(repeating: "x", count: 150))\"}".utf8)
            case 10: text = Array("{\"id\":\"P\(index)\",\"t\":\"\(String(repeating: "z", count: 6000))\"}".utf8)
            default: text = Array("{\"id\":\"P0\"}".utf8)
            }
            sample.row(text + Array(terminator.utf8), bad: bad)
        }
        return sample
    }

    /// A JSON array whose elements are written with spaces between tokens; the NDJSON outputs
    /// hold each element without them, one per line.
    static func jsonSample(seed: UInt64, rows: Int) -> Sample {
        var random = Random(state: seed)
        var sample = Sample()
        sample.input = Array("[\n".utf8)
        for index in 0..<rows {
            var bad = true
            let tokens: [String]
            switch index == 0 ? 0 : random.below(9) {
            case 0: tokens = ["{", "\"id\"", ":", "\"P\(index)\"", ",", "\"t\"", ":", "\"a b\"", "}"]; bad = false
            case 1: tokens = ["{", "\"id\"", ":", "\(index)", ",", "\"n\"", ":", "[", "1", ",", "2", "]", "}"]; bad = false
            case 2: tokens = ["{", "\"t\"", ":", "\"x y\"", "}"]
            case 3: tokens = ["\"not an object\""]
            case 4: tokens = ["{", "}"]
            case 5: tokens = ["{", "\"id\"", ":", "\"P\(index)\"", ",", "\"t\"", ":", "\"\(String(repeating: "x ", count: 80))\"", "}"]
            case 6: tokens = ["{", "\"id\"", ":", "\"P\(index)\"", ",", "\"t\"", ":", "\"\(String(repeating: "z ", count: 3000))\"", "}"]
            case 7: tokens = ["{", "\"id\"", ":", "\"P0\"", "}"]
            default: tokens = ["{", "\"id\"", ":", "\"  \"", ",", "\"k\"", ":", "true", "}"]
            }
            let separator = index == 0 ? "" : [",\n", ", ", ",", " ,\r\n  "][random.below(4)]
            sample.input += Array(separator.utf8)
            sample.row(Array(tokens.joined(separator: " ").utf8), output: Array((tokens.joined() + "\n").utf8), bad: bad)
        }
        sample.input += Array("\n]\n".utf8)
        return sample
    }

    struct Split: Equatable {
        var clean: [UInt8]
        var rejects: [UInt8]
        var sidecar: String
    }

    private func split(_ sample: Sample, _ format: InputFormat, schema: Schema, threads: Int, windowSize: Int,
                       engine: CSVEngine = .prescan) throws -> (Split, ValidationReport) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-split-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let paths = ["clean", "rejects", "rejects.errors.ndjson"].map { folder.appendingPathComponent($0).path }
        var options = ValidationOptions(schema: schema, format: format)
        options.maxErrors = 0
        options.threads = threads
        options.windowSize = windowSize
        options.lineCap = Self.recordCap
        options.csvEngine = engine
        let splitter = try RowSplitter(rejects: OutputFile.create(path: paths[1]), clean: OutputFile.create(path: paths[0]),
                                       sidecar: OutputFile.create(path: paths[2]),
                                       layout: RowSplitter.defaultLayout(for: format))
        let report = try Validator.validate(bytes: sample.input, name: "sample", options: options,
                                            hooks: RunHooks(observers: [splitter]))
        try splitter.finish()
        XCTAssertEqual(splitter.rejectedRows, report.invalidRows)
        XCTAssertEqual(splitter.cleanRows, report.validRows)
        let contents = try paths.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        return (Split(clean: contents[0], rejects: contents[1], sidecar: String(decoding: contents[2], as: UTF8.self)),
                report)
    }

    private func assertRoundTrip(_ sample: Sample, _ format: InputFormat, schema: Schema, label: String) throws {
        var first: Split?
        for threads in [1, 3] {
            for windowSize in [0, 1 << 20] {  // 0: the smallest window (the cap plus 4 KiB)
                let engines: [CSVEngine] = format == .csv ? [.prescan, .libcsv] : [.prescan]
                for engine in engines {
                    let (result, report) = try split(sample, format, schema: schema, threads: threads,
                                                     windowSize: windowSize, engine: engine)
                    let context = "\(label) threads \(threads) window \(windowSize) \(engine)"
                    XCTAssertEqual(report.totalRows, sample.rows, context)
                    XCTAssertEqual(report.invalidRows, sample.badRows, context)
                    XCTAssertEqual(result.clean, sample.clean, "clean: " + context)
                    XCTAssertEqual(result.rejects, sample.rejects, "rejects: " + context)
                    // The sidecar holds exactly the report's errors (no cap), one line each.
                    let expected = report.errors.map { ErrorLine.render($0, file: nil) }.joined()
                    XCTAssertEqual(result.sidecar, expected, context)
                    if let first { XCTAssertEqual(result, first, "same split for every thread count: " + context) }
                    first = result
                }
            }
        }
    }

    func testCSVRowsLandInExactlyOneFile() throws {
        for seed in 1...6 as ClosedRange<UInt64> {
            try assertRoundTrip(Self.csvSample(seed: seed, rows: 400), .csv, schema: .genericTransactions, label: "csv \(seed)")
        }
    }

    func testNDJSONRowsLandInExactlyOneFile() throws {
        for seed in 1...6 as ClosedRange<UInt64> {
            try assertRoundTrip(Self.ndjsonSample(seed: seed, rows: 400), .ndjson, schema: .productsupStream,
                                label: "ndjson \(seed)")
        }
    }

    func testJSONElementsLandInExactlyOneFileAsNDJSON() throws {
        for seed in 1...6 as ClosedRange<UInt64> {
            try assertRoundTrip(Self.jsonSample(seed: seed, rows: 300), .json, schema: .productsupStream,
                                label: "json \(seed)")
        }
    }

    func testInvalidJSONLeavesNoRowsAndSaysWhy() throws {
        var sample = Self.jsonSample(seed: 9, rows: 50)
        sample.input.removeLast(3)  // no closing bracket
        let (result, report) = try split(sample, .json, schema: .productsupStream, threads: 2, windowSize: 0)
        XCTAssertEqual(report.status, .failed)
        XCTAssertEqual(result.clean, [])
        XCTAssertEqual(result.rejects, [])
        XCTAssertEqual(result.sidecar, report.errors.map { ErrorLine.render($0, file: nil) }.joined())
        XCTAssertEqual(report.errors.map(\.code), ["invalid_file"])
    }
}
