import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

#if canImport(Glibc)
import Glibc
#endif

/// Mapped files (`mapsFiles`, what the command line uses) give the reports that reading gives,
/// whatever the window, including inputs that end exactly on a page boundary (the padding after
/// them is the zeroed page the mapping adds) and rows that span windows.
final class MappedInputTests: CLITestCase {
    private func report(_ path: String, _ format: InputFormat, schema: Schema, maps: Bool, window: Int,
                        threads: Int) throws -> ValidationReport {
        var options = ValidationOptions(schema: schema, format: format)
        options.mapsFiles = maps
        options.lineCap = 512
        options.windowSize = window
        options.threads = threads
        options.maxErrors = 0
        return try Validator.validate(path: path, options: options)
    }

    /// `body` padded with spaces inside its last value so that the file is exactly `size` bytes.
    private func exactly(_ size: Int, head: String, row: (Int) -> String, tail: String) -> String {
        var text = head
        var index = 0
        while text.utf8.count + row(index).utf8.count + tail.utf8.count + 64 < size {
            text += row(index)
            index += 1
        }
        let pad = size - text.utf8.count - tail.utf8.count
        return text + String(repeating: "x", count: max(0, pad)) + tail
    }

    func testMappedFilesGiveTheReportsReadFilesGive() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for size in [page, 3 * page, 3 * page - 1, 3 * page + 1] {
            // The last row ends at the file's last byte, with no line break.
            let csv = exactly(size, head: "transaction_id,amount,date,store_id\n",
                              row: { "T\($0 % 37),\($0 % 5 == 0 ? "-1" : "1.5"),2024-01-0\($0 % 9 + 1),\"S,\r\n\($0)\"\n" },
                              tail: ",1.00,2024-01-01,S")
            let ndjson = exactly(size, head: "",
                                 row: { #"{"transaction_id":"T\#($0 % 41)","amount":\#($0 % 7 == 0 ? "\"x\"" : "2"),"date":"2024-02-30","store_id":"S","items":[\#($0)]}"# + "\n" },
                                 tail: #"","amount":1,"date":"2024-01-01","store_id":"S","items":12345}"#)
            let json = exactly(size, head: "[",
                               row: { #"{"transaction_id":"T\#($0 % 41)","amount":"1","date":"2024-01-01","store_id":"S"},"# + "\n" },
                               tail: #"{"transaction_id":"Z","amount":1,"date":"2024-01-01","store_id":"S","items":7}]"#)
            for (text, format, name) in [(csv, InputFormat.csv, "a.csv"), (ndjson, .ndjson, "a.ndjson"), (json, .json, "a.json")] {
                XCTAssertEqual(text.utf8.count, size)
                let path = try file(name, text)
                let expected = try report(path, format, schema: .genericTransactions, maps: false, window: 1 << 20, threads: 1)
                XCTAssertGreaterThan(expected.errors.count, 0, "\(name) \(size)")
                for window in [700, 1500, 1 << 20] {
                    for threads in [1, 3] {
                        let mapped = try report(path, format, schema: .genericTransactions, maps: true, window: window,
                                                threads: threads)
                        XCTAssertEqual(mapped.errors, expected.errors, "\(name) \(size) \(window) \(threads)")
                        // `==` leaves values out: they must agree too.
                        XCTAssertEqual(mapped.errors.map(\.value), expected.errors.map(\.value), "\(name) \(size) \(window)")
                        XCTAssertEqual(mapped.totalRows, expected.totalRows, "\(name) \(size) \(window) \(threads)")
                        XCTAssertEqual(mapped.notices, expected.notices, "\(name) \(size) \(window) \(threads)")
                    }
                }
            }
        }
    }

    /// Gzip is never mapped: it is read and inflated as before.
    func testGzipIsReadNotMapped() throws {
        let text = "transaction_id,amount,date,store_id\nT1,x,2024-01-01,S\n"
        let plain = try file("g.csv", text)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let mapped = try report(plain + ".gz", .csv, schema: .genericTransactions, maps: true, window: 1 << 20, threads: 1)
        XCTAssertEqual(mapped.located, [Located(2, 2, "amount", "invalid_amount")])
    }

    /// Grows the file it watches when the first row is seen.
    final class Grower: RowObserver {
        let path: String
        private var grown = false
        init(path: String) { self.path = path }
        func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) {
            guard !grown else { return }
            grown = true
            let handle = FileHandle(forWritingAtPath: path)!
            handle.seekToEndOfFile()
            handle.write(Data("T9,1.00,2024-01-01,S\n".utf8))
            handle.closeFile()
        }
        func header(_ bytes: UnsafeRawBufferPointer) {}
        func rowBytes(_ bytes: UnsafeRawBufferPointer) {}
        func endRow() {}
        func fileIssue(_ issue: ValidationIssue) {}
        func discardRows() {}
    }

    /// A file that grows while it is mapped is refused as one that changes while it is read.
    func testAFileThatGrowsWhileMappedIsRefused() throws {
        var text = "transaction_id,amount,date,store_id\n"
        for row in 0..<2000 { text += "T\(row),1.00,2024-01-01,S\n" }
        let path = try file("grow.csv", text)
        var options = ValidationOptions(schema: .genericTransactions, format: .csv)
        options.mapsFiles = true
        options.lineCap = 512
        options.windowSize = 4096
        XCTAssertThrowsError(try Validator.validate(path: path, options: options,
                                                    hooks: RunHooks(observers: [Grower(path: path)]))) { error in
            XCTAssertEqual("\(error)", "cannot read \(path): it changed size while being read; validate a copy that is not being written")
        }
    }

    /// A file cut short while the command line maps it: one line, status 66, no output left
    /// (SIGBUS, or the size check between windows, whichever comes first).
    func testAFileCutShortWhileMappedEndsWithOneLine() throws {
        let line = "T,1.00,2024-01-01,\(String(repeating: "s", count: 100))\n"
        var text = "transaction_id,amount,date,store_id\n"
        text += String(repeating: line, count: 150_000_000 / line.utf8.count)
        let path = try file("big.csv", text)
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = scratch
        process.arguments = ["validate", "big.csv", "--schema", "generic_transactions", "--no-unique-ids", "--threads", "1",
                             "--max-rows", "0", "--max-file-size", "0", "--clean", "clean.csv"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Cut the file once the process has mapped it.
        let maps = "/proc/\(process.processIdentifier)/maps"
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? String(contentsOfFile: maps, encoding: .utf8))?.contains(path) ?? false) {
            usleep(500)
        }
        XCTAssertEqual(truncate(path, 4096), 0)
        process.waitUntilExit()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 66, stderr)
        XCTAssertEqual(stdout.count, 0)
        XCTAssertEqual(stderr, "preflight: cannot read big.csv: it changed size while being read; validate a copy that is not being written\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["big.csv"])
    }
}
