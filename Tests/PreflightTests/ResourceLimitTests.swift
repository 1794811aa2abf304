import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

#if canImport(Glibc)
import Glibc
#endif

/// Inputs built to hurt: each must give SPEC's answer quickly, in bounded memory. Files are
/// generated here, never committed. The multi-gigabyte ones run only with PREFLIGHT_LARGE_TESTS=1
/// (`.ci/run` sets it when asked to).
final class ResourceLimitTests: XCTestCase {
    private struct Outcome {
        let status: Int32
        let peakRSSKilobytes: Int
        let seconds: Double
        let stdout: String
    }

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("preflight").path
    }

    /// Writes `count` copies of `block` after `prefix`, then `suffix`.
    private func write(_ name: String, prefix: String = "", block: [UInt8], count: Int, suffix: String = "") throws -> String {
        let path = scratch.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(prefix.utf8))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        let perChunk = max(1, (8 << 20) / max(block.count, 1))
        func repeated(_ times: Int) -> Data {
            if block.count == 1 { return Data(repeating: block[0], count: times) }
            var bytes = [UInt8]()
            bytes.reserveCapacity(times * block.count)
            for _ in 0..<times { bytes.append(contentsOf: block) }
            return Data(bytes)
        }
        let chunk = repeated(min(perChunk, count))
        var left = count
        while left > 0 {
            let now = min(left, perChunk)
            handle.write(now == chunk.count / block.count ? chunk : repeated(now))
            left -= now
        }
        handle.write(Data(suffix.utf8))
        try handle.close()
        return path
    }

    /// Runs the CLI on its own and measures that process's peak RSS (its rusage, the number
    /// `/usr/bin/time -v` prints).
    ///
    /// posix_spawn starts a child in the test process's memory (vfork), and Linux carries that
    /// memory's high-water mark into the child's peak at exec: a test process that once held
    /// 500 MB would make every child look that large. So the CLI is started by a small Python
    /// process that forks (a copy of its own few megabytes) and reports the child's rusage on
    /// standard error. Without python3, the test process's own mark is reset to its current size
    /// first (`/proc/self/clear_refs`, 5), which then bounds the bias.
    private func run(_ arguments: [String]) throws -> Outcome {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if python == nil, let clear = fopen("/proc/self/clear_refs", "w") {
            fputs("5", clear)
            fclose(clear)
        }
        let output = scratch.appendingPathComponent("stdout-\(UUID().uuidString)").path
        let errors = scratch.appendingPathComponent("stderr-\(UUID().uuidString)").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let wrapper = """
            import os, sys
            pid = os.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            _, status, usage = os.wait4(pid, 0)
            sys.stderr.write("peak-rss-kb %d\\n" % usage.ru_maxrss)
            code = os.waitstatus_to_exitcode(status)
            sys.exit(code if code >= 0 else 128 - code)
            """
        let command = python.map { [$0, "-c", wrapper, binary] } ?? [binary]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        XCTAssertEqual(posix_spawn(&pid, command[0], &actions, nil, argv, environ), 0)
        var status: Int32 = 0
        var usage = rusage()
        XCTAssertEqual(wait4(pid, &status, 0, &usage), pid)
        let seconds = Date().timeIntervalSince(start)
        let stdout = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        var peak = usage.ru_maxrss
        if python != nil, let last = stderr.split(separator: "\n").last, last.hasPrefix("peak-rss-kb "),
           let reported = Int(last.dropFirst("peak-rss-kb ".count)) {
            peak = reported
        }
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let outcome = Outcome(status: exitStatus, peakRSSKilobytes: peak, seconds: seconds, stdout: stdout)
        print("preflight \(arguments.dropFirst().joined(separator: " ")): exit \(exitStatus), peak RSS \(peak / 1024) MB, \(String(format: "%.2f", seconds)) s")
        return outcome
    }

    private func assertBounded(_ outcome: Outcome, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(outcome.peakRSSKilobytes, 512 * 1024, "peak RSS", file: file, line: line)
    }

    /// A file that changes size while it is read is refused, not half validated.
    func testFileThatShrinksWhileBeingRead() throws {
        let path = try write("shrinking.csv", prefix: "id\n", block: Array("1\n".utf8), count: 100_000)
        let source = try WindowedSource.open(path: path, windowSize: 1 << 16)
        try source.refill(keepingFrom: 0)
        XCTAssertEqual(truncate(path, 1000), 0)
        XCTAssertThrowsError(try { while !source.atEnd { try source.refill(keepingFrom: source.count) } }()) { error in
            XCTAssertTrue("\(error)".contains("changed size while being read"), "\(error)")
        }
    }

    /// Memory does not grow with the thread count asked for (it did: about 0.5 MB a thread, so
    /// `--threads 100000` grew to 24 GB).
    func testAHundredThousandThreadsOnASmallFile() throws {
        let path = try write("small.csv", prefix: "transaction_id,amount,date,store_id\n",
                             block: Array("T1,1.00,2026-01-07,S1\n".utf8), count: 20)
        let one = try run(["validate", path, "--schema", "generic_transactions", "--threads", "1"])
        let outcome = try run(["validate", path, "--schema", "generic_transactions", "--threads", "100000"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertLessThan(outcome.peakRSSKilobytes - one.peakRSSKilobytes, 16 * 1024, "peak RSS beyond one thread's")
        // Under the address sanitizer the process starts at about 450 MB: the absolute bound is for normal builds.
        if one.peakRSSKilobytes < 64 * 1024 {
            XCTAssertLessThan(outcome.peakRSSKilobytes, 100 * 1024, "peak RSS")
        }
    }

    func testOnlyABOM() throws {
        let path = try write("bom.csv", block: [0xEF, 0xBB, 0xBF], count: 1)
        let outcome = try run(["validate", path, "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#""validationErrors":[{"row":0,"code":"empty_payload","error":"Empty Payload"}]"#))
        assertBounded(outcome)
    }

    func testTenMillionEmptyLines() throws {
        let path = try write("empty.ndjson", block: [0x0A], count: 10_000_000)
        let outcome = try run(["validate", path, "--schema", "productsup_stream"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#""errorTypes":{"empty_payload":1}"#), outcome.stdout)
        assertBounded(outcome)
    }

    func testArrayNestedOneHundredThousandDeep() throws {
        let path = try write("deep.json", block: Array("[".utf8), count: 100_000, suffix: String(repeating: "]", count: 100_000))
        let outcome = try run(["validate", path, "--schema", "productsup_stream"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#""code":"invalid_file","error":"File is not a valid JSON: syntax error"#),
                      outcome.stdout)
        assertBounded(outcome)
    }

    func testOneHundredThousandColumns() throws {
        let header = "id," + (1..<100_000).map { "c\($0)" }.joined(separator: ",") + "\n"
        let row = "1," + String(repeating: "x,", count: 99_998) + "x\n"
        let short = "2,x\n"
        let path = try write("wide.csv", prefix: header, block: Array((row + row + short).utf8), count: 1)
        let outcome = try run(["validate", path, "--schema", "productsup_stream"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.contains(#""preflightErrors":[{"row":3,"field":"id","code":"duplicate_id","error":"Duplicate id: '1' (first seen in row 2)"},{"row":4,"code":"field_count_mismatch","error":"Expected 100000 fields, found 2"}]"#),
                      String(outcome.stdout.prefix(600)))
        assertBounded(outcome)
    }

    func testTenMegabyteHeader() throws {
        let path = try write("header.csv", prefix: "id,", block: Array("h".utf8), count: 10 << 20, suffix: "\n1,2\n")
        let outcome = try run(["validate", path, "--schema", "productsup_stream"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#""validationErrors":[{"row":1,"code":"invalid_file","error":"File is not a valid CSV: the header is longer than 2097152 bytes"}]"#),
                      String(outcome.stdout.prefix(600)))
        assertBounded(outcome)
    }

    func testGigabyteUnterminatedQuote() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["PREFLIGHT_LARGE_TESTS"] == "1", "set PREFLIGHT_LARGE_TESTS=1")
        let path = try write("open.csv", prefix: "id,note\n1,ok\n2,\"", block: Array(repeating: UInt8(ascii: "q"), count: 1 << 20),
                             count: 1024)
        let outcome = try run(["validate", path, "--schema", "productsup_stream", "--max-file-size", "0"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.contains(#""preflightErrors":[{"row":3,"code":"record_too_large","error":"Product payload is too large"}]"#),
                      String(outcome.stdout.prefix(600)))
        assertBounded(outcome)
    }

    func testThreeGigabyteLine() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["PREFLIGHT_LARGE_TESTS"] == "1", "set PREFLIGHT_LARGE_TESTS=1")
        let path = try write("line.ndjson", prefix: "{\"id\":1}\n{\"id\":\"", block: Array(repeating: UInt8(ascii: "z"), count: 1 << 20),
                             count: 3 * 1024, suffix: "\"}\n{\"id\":1}\n")
        let outcome = try run(["validate", path, "--schema", "productsup_stream", "--max-file-size", "0"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.contains(#""preflightErrors":[{"row":2,"code":"record_too_large","error":"Product payload is too large"},{"row":3,"field":"id","code":"duplicate_id","error":"Duplicate id: '1' (first seen in row 1)"}]"#),
                      String(outcome.stdout.prefix(600)))
        assertBounded(outcome)
    }

    /// `--memory-limit` holds for the whole process, whatever the format and report style, with
    /// `--rejects` and `--clean`: a million distinct ids (over 100 MB of tables and chunk lists
    /// in memory) under 64 MiB, and the same answers as without a limit. Every style on CSV; the
    /// report without observers and the one with all of them on NDJSON and JSON.
    func testMemoryLimitHoldsForEveryFormatAndStyle() throws {
        // Under the address sanitizer (`.ci/run`'s second pass) every byte has shadow memory and
        // freed memory is quarantined: peak RSS says nothing about the program's own.
        try XCTSkipIf(dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil
                      || ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil,
                      "memory figures are meaningless under the address sanitizer")
        let rows = 1_000_000
        func id(_ index: Int) -> String { "I\(index &* 7919 % 1_000_000_007)" }
        var files: [String] = []
        for format in ["csv", "ndjson", "json"] {
            var text = format == "csv" ? "id,code,amount\n" : format == "json" ? "[\n" : ""
            text.reserveCapacity(rows * 40)
            for index in 0..<rows {
                switch format {
                case "csv": text += "\(id(index)),C\(index % 1000),\(index % 97 == 0 ? "x" : "1.5")\n"
                default:
                    if format == "json", index > 0 { text += ",\n" }
                    text += "{\"id\":\"\(id(index))\",\"code\":\"C\(index % 1000)\"}" + (format == "ndjson" ? "\n" : "")
                }
            }
            if format == "json" { text += "\n]\n" }
            let path = scratch.appendingPathComponent("ids.\(format)").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        // Without a limit the tables alone are over 64 MiB: the limit is what keeps the runs small.
        let unlimited = try run(["validate", files[0], "--schema", "productsup_stream", "--max-file-size", "0",
                                 "--max-rows", "0", "--memory-limit", "0"])
        XCTAssertGreaterThan(unlimited.peakRSSKilobytes, 64 * 1024)
        for path in files {
            for style in path.hasSuffix(".csv") ? ["piing", "productsup", "jumbo", "ndjson"] : ["piing", "jumbo"] {
                var arguments = ["validate", path, "--schema", "productsup_stream", "--max-file-size", "0",
                                 "--max-rows", "0", "--report", style]
                if style == "jumbo" {
                    let base = scratch.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
                    arguments += ["--rejects", base + ".rejects", "--clean", base + ".clean"]
                }
                let reference = try run(arguments + ["--memory-limit", "0"])
                let limited = try run(arguments + ["--memory-limit", "64M"])
                XCTAssertEqual(limited.status, reference.status, "\(path) \(style)")
                XCTAssertTrue(limited.stdout == reference.stdout, "\(path) \(style): another answer under the limit")
                XCTAssertLessThan(limited.peakRSSKilobytes, 64 * 1024, "\(path) \(style): peak RSS over the limit")
            }
        }
    }
}
