import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The command line never loses input data and never passes a check that did not run: outputs
/// that are inputs, partial outputs, file names that look like options, runaway thread counts,
/// Ctrl-C, closed pipes, and the small conventions (`--version`, `.tsv`, plurals).
final class SafetyTests: CLITestCase {
    private let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/transactions-broken.csv")

    private var sampleBytes: Data { (try? Data(contentsOf: sample)) ?? Data() }

    /// A copy of the broken sample in the scratch folder.
    private func input(_ name: String = "same.csv") throws -> String {
        try file(name, bytes: Array(sampleBytes))
    }

    private func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted()
    }

    private func assertRefused(_ outcome: Outcome, naming paths: [String], file: StaticString = #filePath,
                               line: UInt = #line) {
        XCTAssertEqual(outcome.status, 64, outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.stdout, "", file: file, line: line)
        XCTAssertEqual(outcome.stderr.filter { $0 == "\n" }.count, 1, outcome.stderr, file: file, line: line)
        for path in paths {
            XCTAssertTrue(outcome.stderr.contains(path), "\(path) in \(outcome.stderr)", file: file, line: line)
        }
    }

    // MARK: 1. An output never destroys an input

    func testAnOutputThatIsTheInputIsRefused() throws {
        let path = try input()
        try FileManager.default.createSymbolicLink(atPath: scratch.appendingPathComponent("link.csv").path,
                                                   withDestinationPath: path)
        XCTAssertEqual(link(path, scratch.appendingPathComponent("hard.csv").path), 0)
        for (option, output) in [("--clean", "same.csv"), ("--clean", "./same.csv"), ("--rejects", "link.csv"),
                                 ("--rejects", "hard.csv"), ("--clean", path)] {
            let outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", option, output])
            assertRefused(outcome, naming: ["\(option) \(output)", "same.csv"])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), sampleBytes, "\(option) \(output)")
        }
        // Standard input redirected from the file is the same file too.
        let process = Process()
        process.executableURL = binary
        process.arguments = ["validate", "-", "--format", "csv", "--schema", "generic_transactions", "--clean", path]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        process.standardOutput = Pipe()
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 64)
        XCTAssertTrue(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .contains("is the same file as standard input"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), sampleBytes)
        XCTAssertEqual(try names(), ["hard.csv", "link.csv", "same.csv"], "nothing written")
    }

    func testOutputsThatAreEachOtherAreRefused() throws {
        _ = try input()
        var outcome = try run(["validate", "same.csv", "--schema", "generic_transactions",
                               "--rejects", "r.csv", "--clean", "r.csv.errors.ndjson"])
        assertRefused(outcome, naming: ["--clean r.csv.errors.ndjson", "--rejects"])
        outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", "--rejects", "r.csv", "--clean", "./r.csv"])
        assertRefused(outcome, naming: ["--rejects r.csv", "--clean ./r.csv"])
        _ = try file("old.csv", "OLD\n")
        try FileManager.default.createSymbolicLink(atPath: scratch.appendingPathComponent("to-old.csv").path,
                                                   withDestinationPath: "old.csv")
        outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", "--rejects", "old.csv",
                           "--clean", "to-old.csv"])
        assertRefused(outcome, naming: ["--rejects old.csv", "--clean to-old.csv"])
        XCTAssertEqual(try contents("old.csv"), "OLD\n")
        XCTAssertEqual(try names(), ["old.csv", "same.csv", "to-old.csv"], "nothing written")
    }

    func testDashAsAnOutputIsAUsageError() throws {
        _ = try input()
        for option in ["--rejects", "--clean"] {
            let outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", option, "-"])
            assertRefused(outcome, naming: ["\(option) -"])
        }
        XCTAssertEqual(try names(), ["same.csv"], "no file named -")
    }

    func testOutputsAppearOnlyWhenTheRunCompletes() throws {
        _ = try input()
        _ = try file("bad.csv", "OLD REJECTS\n")
        _ = try file("good.csv", "OLD CLEAN\n")
        XCTAssertEqual(chmod(scratch.appendingPathComponent("good.csv").path, 0o640), 0)
        // A run that fails (the input cannot be read) leaves the old files and no temporary file.
        var outcome = try run(["validate", "missing.csv", "--schema", "generic_transactions",
                               "--rejects", "bad.csv", "--clean", "good.csv"])
        XCTAssertEqual(outcome.status, 66)
        XCTAssertEqual(try contents("bad.csv"), "OLD REJECTS\n")
        XCTAssertEqual(try contents("good.csv"), "OLD CLEAN\n")
        XCTAssertEqual(try names(), ["bad.csv", "good.csv", "same.csv"])
        // A run that completes replaces them whole, keeping the permissions of the file replaced.
        outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", "--rejects", "bad.csv",
                           "--clean", "good.csv"])
        XCTAssertEqual(outcome.status, 1)
        let header = "transaction_id,amount,date,store_id,customer_id,payment_method,items,tax,discount\n"
        let good = try contents("good.csv"), bad = try contents("bad.csv")
        XCTAssertTrue(good.hasPrefix(header + "TXN001,"), good)
        XCTAssertTrue(bad.hasPrefix(header + "TXN002,abc,"), bad)
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.appendingPathComponent("good.csv").path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o640)
        XCTAssertEqual(try names(), ["bad.csv", "bad.csv.errors.ndjson", "good.csv", "same.csv"])
    }

    func testCtrlCLeavesNoPartialOutputAndStopsWithinHalfASecond() throws {
        // About 20 MB in one read window: the stop must come from inside the window.
        let line = "T,1.00,2024-01-01,\(String(repeating: "s", count: 100))\n"
        var text = "transaction_id,amount,date,store_id\n"
        text += String(repeating: line, count: 20_000_000 / line.utf8.count)
        _ = try file("big.csv", text)
        _ = try file("clean.csv", "OLD CLEAN\n")
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = scratch
        process.arguments = ["validate", "big.csv", "--schema", "generic_transactions", "--no-unique-ids",
                             "--max-rows", "0", "--max-file-size", "0", "--clean", "clean.csv", "--rejects", "rejects.csv"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        usleep(300_000)
        let signalled = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(signalled)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertLessThanOrEqual(seconds, 0.5, "stopped \(seconds) s after Ctrl-C")
        XCTAssertEqual(stdout.count, 0)
        XCTAssertTrue(stderr.hasPrefix("preflight: stopped by Ctrl-C in big.csv after "), stderr)
        XCTAssertEqual(try contents("clean.csv"), "OLD CLEAN\n", "the old file is kept")
        XCTAssertEqual(try names(), ["big.csv", "clean.csv"], "no partial rejects, no temporary file")
    }

    // MARK: 6. Feedback on long runs

    func testTheProgressBarMovesAtLeastEveryQuarterSecond() throws {
        // A terminal on standard error (script(1) gives the command a pseudo-terminal); about 30 MB in one window.
        let line = "T,1.00,2024-01-01,\(String(repeating: "s", count: 100))\n"
        _ = try file("big.csv", "transaction_id,amount,date,store_id\n" + String(repeating: line, count: 30_000_000 / line.utf8.count))
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        shell.currentDirectoryURL = scratch
        shell.arguments = ["-qfec", "'\(binary.path)' validate big.csv --schema generic_transactions --no-unique-ids "
            + "--max-rows 0 --max-file-size 0 --report piing > /dev/null", "/dev/null"]
        let out = Pipe()
        shell.standardOutput = out
        shell.standardInput = Pipe()
        let started = Date()
        try shell.run()
        let screen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(shell.terminationStatus, 0, screen)
        // Each redraw starts with a carriage return and the bar; the percentages only go up.
        let percents = screen.split(separator: "\r").compactMap { part -> Int? in
            guard part.hasPrefix("["), let close = part.firstIndex(of: "]") else { return nil }
            return Int(part[part.index(after: close)...].drop(while: { $0 == " " }).prefix(while: \.isNumber))
        }
        XCTAssertEqual(percents, percents.sorted(), screen)
        // No bar for the first half second; then a redraw at least every 0.25 s (one tick of slack).
        let expected = Int((seconds - 0.5) / 0.25) - 1
        XCTAssertGreaterThanOrEqual(percents.count, expected, "\(percents.count) redraws in \(seconds) s: \(percents)")
    }

    func testASecondCtrlCOrSIGTERMLeavesNoTemporaryFile() throws {
        let line = "T,1.00,2024-01-01,\(String(repeating: "s", count: 100))\n"
        _ = try file("big.csv", "transaction_id,amount,date,store_id\n" + String(repeating: line, count: 40_000_000 / line.utf8.count))
        for signals in [[SIGINT, SIGINT], [SIGTERM]] {
            let process = Process()
            process.executableURL = binary
            process.currentDirectoryURL = scratch
            process.arguments = ["validate", "big.csv", "--schema", "generic_transactions", "--no-unique-ids",
                                 "--max-rows", "0", "--max-file-size", "0", "--clean", "clean.csv", "--rejects", "rejects.csv"]
            process.standardOutput = Pipe()
            process.standardError = Pipe()
            try process.run()
            usleep(300_000)
            for number in signals { kill(process.processIdentifier, number) }
            process.waitUntilExit()
            if signals == [SIGTERM] {
                XCTAssertEqual(process.terminationReason, .uncaughtSignal)
                XCTAssertEqual(process.terminationStatus, SIGTERM)
            } else {
                XCTAssertEqual(process.terminationStatus, 130)
            }
            XCTAssertEqual(try names(), ["big.csv"], "\(signals): no output and no temporary file")
        }
    }

    func testDevicesAndLinksAsOutputs() throws {
        // Whitespace only: the run empties its outputs, which a device cannot do; that is no error.
        _ = try file("blank.csv", "\n \n")
        var outcome = try run(["validate", "blank.csv", "--schema", "generic_transactions", "--clean", "/dev/null",
                               "--rejects", "r.csv"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(outcome.stderr, "")
        // A link to a file that does not exist yet: the file is created, the link stays a link.
        _ = try input()
        try FileManager.default.createSymbolicLink(atPath: scratch.appendingPathComponent("out.csv").path,
                                                   withDestinationPath: "target.csv")
        outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", "--clean", "out.csv"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertTrue(try contents("target.csv").hasPrefix("transaction_id,"))
        let kind = try FileManager.default.attributesOfItem(atPath: scratch.appendingPathComponent("out.csv").path)[.type]
        XCTAssertEqual(kind as? FileAttributeType, .typeSymbolicLink)
    }

    // MARK: 2. A check that validated nothing never exits 0

    func testANameThatLooksLikeOptionsIsNotHelp() throws {
        _ = try file("-dash.csv", String(decoding: sampleBytes, as: UTF8.self))
        var outcome = try run(["validate", "-dash.csv", "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertEqual(outcome.stdout, "")
        XCTAssertTrue(outcome.stderr.contains("./-dash.csv") && outcome.stderr.contains(" -- "), outcome.stderr)
        for arguments in [["validate", "--schema", "generic_transactions", "--", "-dash.csv"],
                          ["validate", "./-dash.csv", "--schema", "generic_transactions"]] {
            outcome = try run(arguments)
            XCTAssertEqual(outcome.status, 1, outcome.stderr)
            XCTAssertTrue(outcome.stdout.contains(#""name":"-dash.csv""#), outcome.stdout)
        }
        // No command at all validates nothing either.
        outcome = try run([])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertEqual(outcome.stdout, "")
        // Only an explicit request for help or the version ends with 0.
        for arguments in [["--help"], ["-h"], ["help"], ["validate", "--help"], ["validate", "-h"]] {
            outcome = try run(arguments)
            XCTAssertEqual(outcome.status, 0, "\(arguments)")
            XCTAssertTrue(outcome.stdout.contains("USAGE"), outcome.stdout)
        }
        outcome = try run(["--version"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertEqual(outcome.stdout, "0.2.0\n")
    }

    // MARK: 3. Bounded resources whatever the flags

    func testNegativeNumbersSayTheyMustBeZeroOrMore() throws {
        _ = try input()
        for (option, value) in [("--threads", "-2"), ("--max-errors", "-1"), ("--max-rows", "-5"),
                                ("--max-file-size", "-1")] {
            let outcome = try run(["validate", "same.csv", "--schema", "generic_transactions", option, value])
            XCTAssertEqual(outcome.status, 64)
            XCTAssertEqual(outcome.stderr, "preflight: \(option) must be 0 or more\n")
        }
    }

    func testTooManyThreadsAreCappedOnce() throws {
        _ = try input()
        let outcome = try run(["validate", "same.csv", "same.csv", "--schema", "generic_transactions", "--threads", "100000"])
        XCTAssertEqual(outcome.status, 1)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(outcome.stderr, "preflight: --threads 100000 is more than the \(cores) cores here; using \(cores)\n")
        XCTAssertEqual(outcome.stdout.split(separator: "\n").count, 2)
    }

    // MARK: 7. Small conventions

    func testTSVIsCSVWithTabs() throws {
        let text = "transaction_id\tamount\tdate\tstore_id\nT1\t1.00\t2026-01-07\tS1\nT2\tx\t2026-01-07\tS1\n"
        _ = try file("t.tsv", text)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", scratch.appendingPathComponent("t.tsv").path]
        try gzip.run()
        gzip.waitUntilExit()
        for name in ["t.tsv", "t.tsv.gz"] {
            let outcome = try run(["validate", name, "--schema", "generic_transactions"])
            XCTAssertEqual(outcome.status, 1, outcome.stderr)
            XCTAssertTrue(outcome.stdout.contains(#"{"row":3,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'x'"}"#),
                          outcome.stdout)
            XCTAssertTrue(outcome.stdout.contains(#""format":"csv""#))
        }
        // An explicit --delimiter still wins.
        let outcome = try run(["validate", "t.tsv", "--schema", "generic_transactions", "--delimiter", ","])
        XCTAssertEqual(outcome.status, 2)
    }

    func testAHeaderSplitByAnotherDelimiterSaysWhichToTry() throws {
        for (delimiter, option) in [(";", "';'"), ("|", "'|'"), ("\t", "tab")] {
            _ = try file("x.csv", ["transaction_id", "amount", "date", "store_id"].joined(separator: delimiter) + "\nT1"
                + delimiter + "1.00" + delimiter + "2026-01-07" + delimiter + "S1\n")
            let outcome = try run(["validate", "x.csv", "--schema", "generic_transactions"])
            XCTAssertEqual(outcome.status, 2)
            XCTAssertTrue(outcome.stdout.contains("try --delimiter \(option)"), outcome.stdout)
            XCTAssertTrue(outcome.stdout.contains(#""error":"Missing required column: transaction_id (the header is one column"#),
                          outcome.stdout)
        }
        // A header that is simply missing a column gets no hint.
        _ = try file("y.csv", "transaction_id,amount,date\nT1,1.00,2026-01-07\n")
        let outcome = try run(["validate", "y.csv", "--schema", "generic_transactions"])
        XCTAssertTrue(outcome.stdout.contains(#""error":"Missing required column: store_id"}"#), outcome.stdout)
    }

    func testAClosedPipeEndsQuietly() throws {
        var text = ""
        for row in 0..<200_000 { text += "{\"id\":\"\(row % 10)\"}\n" }
        _ = try file("many.ndjson", text)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.currentDirectoryURL = scratch
        shell.arguments = ["-c", "'\(binary.path)' validate many.ndjson --schema productsup_stream --report ndjson | head -1; "
            + "echo \"status ${PIPESTATUS[0]}\""]
        let out = Pipe(), err = Pipe()
        shell.standardOutput = out
        shell.standardError = err
        try shell.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        XCTAssertEqual(stdout, #"{"row":11,"field":"id","code":"duplicate_id","error":"Duplicate id: '0' (first seen in row 1)"}"#
            + "\nstatus 141\n")
        XCTAssertEqual(stderr, "", "nothing on stderr, as with grep or jq")
    }

    func testPluralsInTheTextReport() throws {
        _ = try file("one.csv", "transaction_id,amount,date,store_id\nT1,x,2026-01-07,S1\n")
        var outcome = try run(["validate", "one.csv", "--schema", "generic_transactions", "--report", "text"])
        XCTAssertTrue(outcome.stdout.contains("1 row (0 valid, 1 invalid), 1 error,"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("one.csv: 1 row of 1 would be rejected"), outcome.stdout)
        _ = try file("x.csv", "id\n1,2\n")
        outcome = try run(["validate", "x.csv", "--schema", "productsup_stream", "--report", "text"])
        XCTAssertTrue(outcome.stdout.contains("Expected 1 field, found 2"), outcome.stdout)
    }
}
