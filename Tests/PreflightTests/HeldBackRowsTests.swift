import Foundation
import XCTest
@_spi(Tuning) @testable import Preflight

/// Observers under a memory limit: rows after the first id that spills are held back and read
/// again (a file, bytes) or from a copy (a descriptor, async chunks); every observer call must be
/// the in-memory run's, in the same order.
final class HeldBackRowsTests: CLITestCase {
    /// Writes down every call it gets.
    final class CallRecorder: RowObserver {
        var calls: [String] = []

        func begin(format: InputFormat, name: String) { calls.append("begin \(format) \(name)") }
        func header(_ bytes: UnsafeRawBufferPointer) { calls.append("header " + String(decoding: bytes, as: UTF8.self)) }
        func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) {
            calls.append("row \(row) line \(line): " + issues.map {
                "\($0.code) \($0.row) \($0.line) \($0.error) \($0.field ?? "-") \($0.value ?? "-")"
            }.joined(separator: " | "))
        }
        func rowBytes(_ bytes: UnsafeRawBufferPointer) { calls.append("bytes " + String(decoding: bytes, as: UTF8.self)) }
        func endRow() { calls.append("end") }
        func fileIssue(_ issue: ValidationIssue) { calls.append("file \(issue.code) \(issue.row) \(issue.error)") }
        func discardRows() { calls.append("discard") }
        func finish() { calls.append("finish") }
    }

    /// The orders of `OutOfCoreTests` with two long rows late in the file: one over the line cap,
    /// one longer than the window.
    static func rows(_ format: InputFormat, count: Int, seed: UInt64, tail: String = "") -> [UInt8] {
        let csv = String(decoding: OutOfCoreTests.csv(rows: count, seed: seed), as: UTF8.self)
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last line break
        let long = String(repeating: "z", count: 6_000), huge = String(repeating: "y", count: 70_000)
        lines.insert("I7,\(long),1.5", at: lines.count - 100)
        lines.insert("I8,\(huge),1.5", at: lines.count - 50)
        if format == .csv { return Array((lines.joined(separator: "\n") + "\n" + tail).utf8) }
        let objects = lines.dropFirst().map { line -> String in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let amount = fields[2] == "x" ? "\"x\"" : String(fields[2])
            return "{\"id\":\"\(fields[0])\",\"code\":\"\(fields[1])\",\"amount\":\(amount)}"
        }
        if format == .ndjson { return Array((objects.joined(separator: "\n") + "\n" + tail).utf8) }
        return Array(("[\n" + objects.joined(separator: ",\n") + "\n]" + tail).utf8)
    }

    enum Way { case bytes, mappedFile, readFile, descriptor, chunks }

    private func calls(_ bytes: [UInt8], _ format: InputFormat, way: Way, threads: Int, memoryLimit: Int) async throws
        -> (calls: [String], report: ValidationReport) {
        var options = ValidationOptions(schema: OutOfCoreTests.schema, format: format)
        options.threads = threads
        options.windowSize = 1 << 16
        options.lineCap = 4096
        options.maxErrors = 0
        options.maxRows = 59_990
        options.memoryLimit = memoryLimit
        let recorder = CallRecorder()
        let name = "orders." + (format == .csv ? "csv" : format == .ndjson ? "ndjson" : "json")
        let hooks = RunHooks(observers: [recorder])
        let report: ValidationReport
        switch way {
        case .bytes:
            report = try Validator.validate(bytes: bytes, name: name, options: options, hooks: hooks)
        case .mappedFile, .readFile:
            options.mapsFiles = way == .mappedFile
            report = try Validator.validate(path: try file(name, bytes: bytes), options: options, hooks: hooks)
        case .descriptor:
            let descriptor = open(try file(name, bytes: bytes), O_RDONLY)
            defer { close(descriptor) }
            report = try Validator.validate(descriptor: descriptor, name: name, options: options, hooks: hooks)
        case .chunks:
            let pieces = stride(from: 0, to: bytes.count, by: 40_000).map { Array(bytes[$0..<min($0 + 40_000, bytes.count)]) }
            report = try await Preflight.validate(chunks: Chunks(pieces), name: name, schema: OutOfCoreTests.schema,
                                                  options: options, observers: [recorder])
        }
        return (recorder.calls, report)
    }

    func testHeldBackRowsReachObserversAsInMemory() async throws {
        for format in [InputFormat.csv, .ndjson, .json] {
            let bytes = Self.rows(format, count: 60_000, seed: 4)
            let reference = try await calls(bytes, format, way: .bytes, threads: 1, memoryLimit: 0)
            XCTAssertEqual(reference.calls.last, "finish")
            XCTAssertTrue(reference.calls.contains { $0.contains("duplicate_id") }, "\(format)")
            XCTAssertTrue(reference.calls.contains { $0.contains("record_too_large") }, "\(format)")
            XCTAssertTrue(reference.calls.contains { $0.contains("too_many_rows") }, "\(format)")
            let cases: [(Way, Int)] = [(.bytes, 1), (.bytes, 2), (.bytes, 7), (.mappedFile, 2), (.readFile, 1),
                                       (.descriptor, 2), (.chunks, 1)]
            for (way, threads) in cases {
                let readings = RowDelivery.secondReadings
                let limited = try await calls(bytes, format, way: way, threads: threads, memoryLimit: 2 << 20)
                XCTAssertEqual(RowDelivery.secondReadings, readings + 1, "\(format) \(way): no second reading")
                XCTAssertEqual(limited.report, reference.report, "\(format) \(way) \(threads) threads")
                XCTAssertEqual(limited.calls.count, reference.calls.count, "\(format) \(way) \(threads) threads")
                if limited.calls != reference.calls {
                    let first = limited.calls.indices.first { limited.calls[$0] != reference.calls[$0] } ?? 0
                    XCTFail("\(format) \(way) \(threads) threads: call \(first) is \(limited.calls[first].prefix(200)), "
                            + "not \(reference.calls[first].prefix(200))"
                            + "; before: \(limited.calls[max(0, first - 4)..<first].map { $0.prefix(80) })"
                            + "; after: \(limited.calls[first..<min(first + 4, limited.calls.count)].map { $0.prefix(80) })")
                }
            }
        }
    }

    /// A JSON array that turns out invalid after rows were held back: the observers drop the rows
    /// they had (fewer than in memory: those up to the first held-back row), get `invalid_file`, and
    /// nothing is read again.
    func testAnArrayInvalidAfterHeldBackRowsIsDiscarded() async throws {
        let bytes = Self.rows(.json, count: 30_000, seed: 5, tail: " x")
        let reference = try await calls(bytes, .json, way: .bytes, threads: 1, memoryLimit: 0)
        XCTAssertTrue(reference.calls.contains("discard"))
        XCTAssertTrue(reference.calls.last == "finish" && reference.calls.dropLast().last?.hasPrefix("file invalid_file") == true)
        let readings = RowDelivery.secondReadings
        let limited = try await calls(bytes, .json, way: .bytes, threads: 2, memoryLimit: 2 << 20)
        XCTAssertEqual(RowDelivery.secondReadings, readings)
        // The rows handed over before the discard stop at the first held-back row; what follows is the same.
        let discard = try XCTUnwrap(limited.calls.firstIndex(of: "discard"))
        XCTAssertGreaterThan(discard, 3)
        XCTAssertLessThan(discard, reference.calls.firstIndex(of: "discard")!)
        XCTAssertTrue(Array(limited.calls[..<discard]) == Array(reference.calls[..<discard]))
        XCTAssertEqual(limited.calls[discard...], reference.calls[reference.calls.firstIndex(of: "discard")!...])
        XCTAssertEqual(limited.report, reference.report)
    }

    /// A file rewritten (same size) while its rows are held back is refused at its second reading,
    /// not read again as if it were the same.
    func testAFileChangedBeforeItsSecondReadingIsRefused() throws {
        final class Rewriter: RowObserver {
            let path: String
            var done = false
            init(path: String) { self.path = path }
            func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) {
                guard !done else { return }
                done = true
                // Same size, other content, a later modification time.
                var bytes = FileManager.default.contents(atPath: path)!
                bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "5") ? UInt8(ascii: "6") : UInt8(ascii: "5")
                usleep(20_000)
                _ = FileManager.default.createFile(atPath: path, contents: bytes)
            }
        }
        let path = try file("orders.csv", bytes: Self.rows(.csv, count: 20_000, seed: 8))
        var options = ValidationOptions(schema: OutOfCoreTests.schema, format: .csv)
        options.windowSize = 1 << 16
        options.lineCap = 4096
        options.memoryLimit = 2 << 20
        XCTAssertThrowsError(try Validator.validate(path: path, options: options,
                                                    hooks: RunHooks(observers: [Rewriter(path: path)]))) {
            XCTAssertEqual($0 as? PreflightError, .changedWhileReading(path))
        }
    }
}
