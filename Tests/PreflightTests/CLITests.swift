import Foundation
import XCTest

/// The `preflight` executable: exit statuses of SPEC §7, one-line errors, reports on stdout.
final class CLITests: CLITestCase {
    private func assertOneLineError(_ outcome: Outcome, status: Int32, containing text: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, status, outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.stdout, "", file: file, line: line)
        XCTAssertTrue(outcome.stderr.hasPrefix("preflight: "), outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.stderr.filter { $0 == "\n" }.count, 1, outcome.stderr, file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(text), outcome.stderr, file: file, line: line)
    }

    func testExitStatusFollowsTheReport() throws {
        let valid = try file("ok.csv", "transaction_id,amount,date,store_id\nT1,1,2024-01-01,S\n")
        var outcome = try run(["validate", valid, "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.hasPrefix(#"{"status":"valid""#), outcome.stdout)
        XCTAssertEqual(outcome.stderr, "")

        let warnings = try file("rows.ndjson", "{\"transaction_id\":\"T1\",\"amount\":\"x\",\"date\":\"2024-01-01\",\"store_id\":\"S\"}\n")
        outcome = try run(["validate", warnings, "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.hasPrefix(#"{"status":"warnings""#), outcome.stdout)

        let failed = try file("bad.json", "[{\"id\":1},")
        outcome = try run(["validate", failed, "--schema", "productsup_stream"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.hasPrefix(#"{"status":"failed","error":"validation_failed""#), outcome.stdout)
    }

    func testOptionsReachTheValidator() throws {
        let path = try file("data.txt", "id;name\n1;a\n1;b\n")
        var outcome = try run(["validate", path, "--schema", "productsup_stream", "--format", "csv", "--delimiter", ";"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.contains(#""code":"duplicate_id""#), outcome.stdout)
        outcome = try run(["validate", path, "--schema", "productsup_stream", "--format", "csv", "--delimiter", ";",
                           "--no-unique-ids"])
        XCTAssertEqual(outcome.status, 0)
        outcome = try run(["validate", path, "--schema", "productsup_stream", "--format", "csv", "--delimiter", ";",
                           "--max-rows", "1"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#"{"row":3,"code":"too_many_rows","error":"File exceeds 1 row limit"}"#))
        let long = try file("long.csv", "id\n1\n22222\n333333\n")
        outcome = try run(["validate", long, "--schema", "productsup_stream",
                           "--max-file-size", "5", "--line-cap", "4", "--max-errors", "1", "--threads", "2"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.contains(#""validationErrors":[{"row":0,"code":"file_too_large","error":"File exceeds 5 bytes limit"}]"#),
                      outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains(#""errorTypes":{"file_too_large":1,"record_too_large":2}"#), outcome.stdout)
    }

    func testStandardInputNeedsAFormat() throws {
        var outcome = try run(["validate", "-", "--schema", "productsup_stream"], stdin: "{\"id\":1}\n")
        assertOneLineError(outcome, status: 64, containing: "--format")
        outcome = try run(["validate", "-", "--schema", "productsup_stream", "--format", "ndjson"], stdin: "{\"id\":1}\n{}\n")
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.stdout.contains(#""name":"stdin","format":"ndjson""#), outcome.stdout)
    }

    func testUsageErrorsAre64OnOneLine() throws {
        let path = try file("ok.csv", "id\n1\n")
        assertOneLineError(try run(["validate", path, "--schema", "nope"]), status: 64, containing: "unknown schema 'nope'")
        assertOneLineError(try run(["validate", path]), status: 64, containing: "--schema")
        assertOneLineError(try run(["validate", path, "--schema", "productsup_stream", "--bogus"]), status: 64,
                           containing: "--bogus")
        assertOneLineError(try run(["validate", path, "--schema", "productsup_stream", "--max-errors", "x"]), status: 64,
                           containing: "max-errors")
        assertOneLineError(try run(["validate", path, "--schema", "productsup_stream", "--delimiter", ";;"]), status: 64,
                           containing: "--delimiter")
        assertOneLineError(try run(["validate", path, "--schema", "productsup_stream", "--format", "xml"]), status: 64,
                           containing: "unknown format")
        let unnamed = try file("data.txt", "id\n1\n")
        assertOneLineError(try run(["validate", unnamed, "--schema", "productsup_stream"]), status: 64,
                           containing: "cannot tell the format")
    }

    func testUnreadableInputIs66() throws {
        assertOneLineError(try run(["validate", scratch.appendingPathComponent("missing.csv").path, "--schema", "productsup_stream"]),
                           status: 66, containing: "No such file or directory")
        let directory = scratch.appendingPathComponent("folder.csv")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        assertOneLineError(try run(["validate", directory.path, "--schema", "productsup_stream"]), status: 66,
                           containing: "directory")
        let compressed = scratch.appendingPathComponent("data.csv.gz")
        try Data([0x1F, 0x8B, 0x08, 0x00]).write(to: compressed)
        assertOneLineError(try run(["validate", compressed.path, "--schema", "productsup_stream"]), status: 66,
                           containing: "not valid gzip data")
    }

    /// A report that cannot be written completely is an error, not a silent half report.
    func testFullDiskIsAnError() throws {
        let path = try file("ok.csv", "transaction_id,amount,date,store_id\nT1,1,2024-01-01,S\n")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["validate", path, "--schema", "generic_transactions"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 74)
        XCTAssertEqual(stderr, "preflight: cannot write the report: No space left on device\n")
    }

    func testFileWithoutReadPermissionIs66() throws {
        try XCTSkipIf(getuid() == 0, "root reads any file: permissions cannot be tested as root")
        let path = try file("secret.csv", "id\n1\n")
        XCTAssertEqual(chmod(path, 0o000), 0)
        assertOneLineError(try run(["validate", path, "--schema", "productsup_stream"]), status: 66,
                           containing: "Permission denied")
    }

    /// Gzip-compressed data with `gzip` itself (several members, like `cat a.gz b.gz`).
    private func gzipped(_ text: String, members: Int = 1) throws -> Data {
        var data = Data()
        let bytes = Array(text.utf8)
        for member in 0..<members {
            let part = bytes[(bytes.count * member / members)..<(bytes.count * (member + 1) / members)]
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-c"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(part))
            try input.fileHandleForWriting.close()
            data += output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }
        return data
    }

    /// `.gz` files and gzip on standard input give the plain file's report (sizes after decompression).
    func testGzipFilesAndStandardInput() throws {
        let cases: [(String, String, String)] = [
            ("tx.csv", "generic_transactions", "transaction_id,amount,date,store_id\nT1,x,2024-01-01,S\n\"T\n2\",5,2024-01-01,S\nT1,1,2024-01-01,S\n"),
            ("items.ndjson", "productsup_stream", "{\"id\":1}\n\n{\"id\":1}\n[2]\n"),
            ("wrapped.json", "productsup_stream", "{\"data\":[{\"id\":1},{\"id\":1}]}"),
            ("array.json", "productsup_stream", "[{\"id\":1},\n{}]"),
        ]
        for (name, schema, text) in cases {
            let plain = try run(["validate", try file(name, text), "--schema", schema])
            XCTAssertTrue(plain.status == 1 || plain.status == 0, plain.stdout)
            for members in [1, 3] {
                let compressed = scratch.appendingPathComponent("\(members)-\(name).gz")
                try gzipped(text, members: members).write(to: compressed)
                let fromFile = try run(["validate", compressed.path, "--schema", schema])
                XCTAssertEqual(fromFile.status, plain.status, name)
                XCTAssertEqual(fromFile.stdout.replacingOccurrences(of: "\(members)-\(name).gz", with: name), plain.stdout, name)
                let format = String(name.split(separator: ".").last!)
                let process = Process()
                process.executableURL = binary
                process.arguments = ["validate", "-", "--format", format, "--schema", schema]
                process.standardInput = try FileHandle(forReadingFrom: compressed)
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                XCTAssertEqual(stdout.replacingOccurrences(of: "\"stdin\"", with: "\"\(name)\""), plain.stdout, name)
            }
        }
    }

    func testSchemasAndHelp() throws {
        var outcome = try run(["schemas"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.hasPrefix(#"{"schemas":[{"schemaType":"generic_transactions""#), outcome.stdout)
        outcome = try run(["validate", "--help"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.contains("--max-errors"), outcome.stdout)
    }
}
