import Foundation
import XCTest

/// Every report style on the same broken sample, checked against the exact document (SPEC §6),
/// and the command-line behaviour around them: several files, the default style.
final class ReportStyleTests: CLITestCase {
    private let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    private var brokenCSV: String { samples.appendingPathComponent("transactions-broken.csv").path }

    private func validate(_ arguments: [String]) throws -> Outcome {
        try run(["validate"] + arguments)
    }

    func testPiingForTheSameSample() throws {
        let outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "piing"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"""
            {"status":"warnings","message":"File validated with warnings","validationSummary":{"totalRows":9,"preflightValidatedRows":9,"validRows":1,"invalidRows":8,"preflightErrors":[{"row":3,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'abc'"},{"row":4,"field":"amount","code":"invalid_amount","error":"Value must be positive: '-5.00'"},{"row":4,"field":"date","code":"invalid_date","error":"Invalid date: '2026-02-30'"},{"row":4,"field":"items","code":"invalid_items","error":"Invalid integer format: '2.5'"},{"row":5,"field":"transaction_id","code":"missing_id","error":"Missing \"id\" attribute"},{"row":5,"field":"store_id","code":"missing_required_field","error":"Missing required field: store_id"},{"row":6,"field":"transaction_id","code":"duplicate_id","error":"Duplicate id: 'TXN001' (first seen in row 2)"},{"row":7,"code":"field_count_mismatch","error":"Expected 9 fields, found 3"},{"row":8,"code":"malformed_quotes","error":"Malformed quoted field"},{"row":9,"field":"date","code":"invalid_date","error":"Invalid date format, expected YYYY-MM-DD"},{"row":9,"field":"tax","code":"invalid_tax","error":"Invalid number format: '1e2'"},{"row":10,"line":11,"field":"store_id","code":"control_character","error":"Control character error, possibly incorrectly encoded"}]},"errorSummary":{"totalErrors":12,"errorTypes":{"control_character":1,"duplicate_id":1,"field_count_mismatch":1,"invalid_amount":2,"invalid_date":2,"invalid_items":1,"invalid_tax":1,"malformed_quotes":1,"missing_id":1,"missing_required_field":1}},"notices":[],"file":{"name":"transactions-broken.csv","format":"csv","sizeBytes":496,"schemaType":"generic_transactions"}}
            """# + "\n")
    }

    func testNDJSONForTheSameSample() throws {
        let outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "ndjson", "--max-errors", "2"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"""
            {"row":3,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'abc'"}
            {"row":4,"field":"amount","code":"invalid_amount","error":"Value must be positive: '-5.00'"}
            {"row":4,"field":"date","code":"invalid_date","error":"Invalid date: '2026-02-30'"}
            {"row":4,"field":"items","code":"invalid_items","error":"Invalid integer format: '2.5'"}
            {"row":5,"field":"transaction_id","code":"missing_id","error":"Missing \"id\" attribute"}
            {"row":5,"field":"store_id","code":"missing_required_field","error":"Missing required field: store_id"}
            {"row":6,"field":"transaction_id","code":"duplicate_id","error":"Duplicate id: 'TXN001' (first seen in row 2)"}
            {"row":7,"code":"field_count_mismatch","error":"Expected 9 fields, found 3"}
            {"row":8,"code":"malformed_quotes","error":"Malformed quoted field"}
            {"row":9,"field":"date","code":"invalid_date","error":"Invalid date format, expected YYYY-MM-DD"}
            {"row":9,"field":"tax","code":"invalid_tax","error":"Invalid number format: '1e2'"}
            {"row":10,"line":11,"field":"store_id","code":"control_character","error":"Control character error, possibly incorrectly encoded"}
            """# + "\n")
    }

    func testProductsupGroupsByMessageWithTheFirstExample() throws {
        let outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "productsup"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"""
            {"status":"warning","successCount":1,"errorCount":8,"errors":[{"message":"Invalid number format: 'abc'","occurrences":1,"example":{"lineNumber":3,"value":"TXN002,abc,2026-01-07,STORE-01,,cash,1,0.40,"}},{"message":"Value must be positive: '-5.00'","occurrences":1,"example":{"lineNumber":4,"value":"TXN003,-5.00,2026-02-30,STORE-02,C-1002,card,2.5,1.00,"}},{"message":"Invalid date: '2026-02-30'","occurrences":1,"example":{"lineNumber":4,"value":"TXN003,-5.00,2026-02-30,STORE-02,C-1002,card,2.5,1.00,"}},{"message":"Invalid integer format: '2.5'","occurrences":1,"example":{"lineNumber":4,"value":"TXN003,-5.00,2026-02-30,STORE-02,C-1002,card,2.5,1.00,"}},{"message":"Missing \"id\" attribute","occurrences":1,"example":{"lineNumber":5,"value":",10.00,2026-01-08,,C-1004,card,1,,"}},{"message":"Missing required field: store_id","occurrences":1,"example":{"lineNumber":5,"value":",10.00,2026-01-08,,C-1004,card,1,,"}},{"message":"Duplicate id: 'TXN001' (first seen in row 2)","occurrences":1,"example":{"lineNumber":6,"value":"TXN001,4.00,2026-01-08,STORE-03,C-1005,card,1,,"}},{"message":"Expected 9 fields, found 3","occurrences":1,"example":{"lineNumber":7,"value":"TXN006,1.00,2026-01-08"}},{"message":"Malformed quoted field","occurrences":1,"example":{"lineNumber":8,"value":"TXN007,12\" pizza,2026-01-08,STORE-03,,cash,1,,"}},{"message":"Invalid date format, expected YYYY-MM-DD","occurrences":1,"example":{"lineNumber":9,"value":"TXN008,3.00,2026/01/08,STORE-03,\"C-1008\n(walk-in)\",cash,1,1e2,"}},{"message":"Invalid number format: '1e2'","occurrences":1,"example":{"lineNumber":9,"value":"TXN008,3.00,2026/01/08,STORE-03,\"C-1008\n(walk-in)\",cash,1,1e2,"}},{"message":"Control character error, possibly incorrectly encoded","occurrences":1,"example":{"lineNumber":11,"value":"TXN009,3.00,2026-01-08,STORE-\u0001,,cash,1,,"}}]}
            """# + "\n")
    }

    func testProductsupCountsOccurrencesAndShowsTheHeaderForHeaderErrors() throws {
        // Two rows with the same message: one entry, two occurrences, the first row as example.
        // A missing column shows the header; a file-level error of the whole file (row 0) has no line.
        let path = try file("tx.csv", "transaction_id,amount,date\r\nT1,x,2024-01-01\r\nT2,x,2024-01-01\r\nT3,\"a\nb\",2024-01-01\r\n")
        let outcome = try validate([path, "--schema", "generic_transactions", "--report", "productsup", "--max-file-size", "10"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stdout, #"{"status":"failed","successCount":0,"errorCount":3,"errors":["#
            + #"{"message":"Missing required column: store_id","occurrences":1,"example":{"lineNumber":1,"value":"transaction_id,amount,date"}},"#
            + #"{"message":"Invalid number format: 'x'","occurrences":2,"example":{"lineNumber":2,"value":"T1,x,2024-01-01"}},"#
            + #"{"message":"Invalid number format: 'a\nb'","occurrences":1,"example":{"lineNumber":4,"value":"T3,\"a\nb\",2024-01-01"}},"#
            + #"{"message":"File exceeds 10 bytes limit","occurrences":1,"example":{"lineNumber":0,"value":""}}]}"# + "\n")
    }

    func testProductsupCutsExamplesAt1000BytesAndCapsMessages() throws {
        let long = String(repeating: "é", count: 700)  // 1400 bytes: the cut may not split a character
        let path = try file("p.ndjson", "{\"id\":\"\",\"tt\":\"\(long)\"}\n{\"id\":\" \",\"x\":1}\n{\"id\":1}\n{\"id\":1}\n")
        let outcome = try validate([path, "--schema", "productsup_stream", "--report", "productsup", "--max-errors", "1"])
        XCTAssertEqual(outcome.status, 1)
        let document = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(document["successCount"] as? Int, 1)
        XCTAssertEqual(document["errorCount"] as? Int, 3)
        let errors = document["errors"] as! [[String: Any]]
        XCTAssertEqual(errors.count, 1)  // the duplicate id's message is past the cap
        XCTAssertEqual(errors[0]["message"] as? String, "Missing \"id\" attribute")
        XCTAssertEqual(errors[0]["occurrences"] as? Int, 2)
        let value = (errors[0]["example"] as! [String: Any])["value"] as! String
        XCTAssertEqual(value.utf8.count, 999)
        XCTAssertEqual(value, String("{\"id\":\"\",\"tt\":\"\(long)".utf8.prefix(999))!)
    }

    func testJumboGroupsPerRowAndCountsWhatTheCapLeftOut() throws {
        var outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "jumbo", "--max-errors", "4"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"""
            {"error":{"code":400,"extended":{"additional_errors":8,"error_fields":12,"error_lines":8,"errors":[{"line":3,"messages":["Invalid number format: 'abc'"]},{"line":4,"messages":["Value must be positive: '-5.00'","Invalid date: '2026-02-30'","Invalid integer format: '2.5'"]}]},"message":"File content contains one or more errors"}}
            """# + "\n")
        outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "jumbo", "--max-errors", "0"])
        let document = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as! [String: Any]
        let extended = (document["error"] as! [String: Any])["extended"] as! [String: Any]
        XCTAssertEqual(extended["additional_errors"] as? Int, 0)
        XCTAssertEqual(extended["error_fields"] as? Int, 12)
        XCTAssertEqual(extended["error_lines"] as? Int, 8)
        let lines = (extended["errors"] as! [[String: Any]]).map { $0["line"] as! Int }
        XCTAssertEqual(lines, [3, 4, 5, 6, 7, 8, 9, 11])  // row 10 starts on line 11 (a quoted line break before)

        let valid = try file("ok.csv", "transaction_id,amount,date,store_id\nT1,1,2024-01-01,S\nT2,1,2024-01-01,S\n")
        outcome = try validate([valid, "--schema", "generic_transactions", "--report", "jumbo"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertEqual(outcome.stdout, #"{"result":2}"# + "\n")
    }

    func testJumboCountsARowWithSeveralKindsOfErrorOnce() throws {
        // Row 3 is past --max-rows and has a bad amount: one error line, two error fields there.
        let path = try file("tx.csv", "transaction_id,amount,date,store_id\nT1,1,2024-01-01,S\nT2,x,2024-01-01,S\n")
        let outcome = try validate([path, "--schema", "generic_transactions", "--report", "jumbo", "--max-rows", "1"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stdout, #"{"error":{"code":400,"extended":{"additional_errors":0,"error_fields":2,"error_lines":1,"errors":[{"line":3,"messages":["File exceeds 1 row limit","Invalid number format: 'x'"]}]},"message":"File content contains one or more errors"}}"# + "\n")
    }

    func testNDJSONStreamsEveryErrorUncapped() throws {
        let path = samples.appendingPathComponent("products-broken.ndjson").path
        let outcome = try validate([path, "--schema", "productsup_stream", "--report", "ndjson", "--max-errors", "1"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"""
            {"row":2,"field":"id","code":"missing_id","error":"Missing \"id\" attribute"}
            {"row":3,"code":"empty_line","error":"Empty Payload line"}
            {"row":4,"code":"syntax_error","error":"Syntax error: JSON document ended early in the middle of an object or array."}
            {"row":5,"code":"not_an_object","error":"Expected a JSON object"}
            {"row":6,"code":"empty_attributes","error":"Empty Product Attributes"}
            {"row":7,"field":"id","code":"duplicate_id","error":"Duplicate id: 'SKU-1' (first seen in row 1)"}
            {"row":8,"code":"control_character","error":"Control character error, possibly incorrectly encoded"}
            {"row":9,"code":"invalid_utf8","error":"Invalid UTF-8 encoding"}
            {"row":11,"field":"id","code":"duplicate_id","error":"Duplicate id: '1002' (first seen in row 10)"}
            """# + "\n")
    }

    func testNDJSONForJSONHoldsRowsBackUntilTheDocumentIsKnownValid() throws {
        // The first element's error would be void: the document breaks later.
        let broken = try file("broken.json", "[{\"id\":\"\",\"t\":1},\n{\"id\":1},\n{\"id\":")
        var outcome = try validate([broken, "--schema", "productsup_stream", "--report", "ndjson"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stdout, #"{"row":0,"code":"invalid_file","error":"File is not a valid JSON: syntax error at line 3, byte offset 34: the document ends inside a value"}"# + "\n")
        let fine = try file("fine.json", "[{\"id\":\"\",\"t\":1},\n{\"id\":1}]")
        outcome = try validate([fine, "--schema", "productsup_stream", "--report", "ndjson"])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.stdout, #"{"row":1,"field":"id","code":"missing_id","error":"Missing \"id\" attribute"}"# + "\n")
        // Only whitespace: empty_payload alone, not the blank lines' empty_line errors.
        let blank = try file("blank.ndjson", "\n  \n\n")
        outcome = try validate([blank, "--schema", "productsup_stream", "--report", "ndjson"])
        XCTAssertEqual(outcome.stdout, #"{"row":0,"code":"empty_payload","error":"Empty Payload"}"# + "\n")
    }

    func testTextReportForPeople() throws {
        let outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "text", "--max-errors", "3"])
        XCTAssertEqual(outcome.status, 1)
        let timing = try NSRegularExpression(pattern: #"[0-9]+\.[0-9]{2} s, [0-9]+\.[0-9] MB/s"#)
        let text = timing.stringByReplacingMatches(in: outcome.stdout, range: NSRange(outcome.stdout.startIndex..., in: outcome.stdout),
                                                   withTemplate: "TIME")
        XCTAssertFalse(text.contains("\u{1B}"), "no colour outside a terminal")
        XCTAssertEqual(text, """
            WARNINGS  transactions-broken.csv: 8 rows of 9 would be rejected; the file would be accepted
              csv, 496 bytes, 9 rows (1 valid, 8 invalid), 12 errors, TIME

            Errors by type
              invalid_amount          2
              invalid_date            2
              control_character       1
              duplicate_id            1
              field_count_mismatch    1
              invalid_items           1
              invalid_tax             1
              malformed_quotes        1
              missing_id              1
              missing_required_field  1

            First errors
              row 3, amount: invalid_amount  Invalid number format: 'abc'
              row 4, amount: invalid_amount  Value must be positive: '-5.00'
              row 4, date: invalid_date  Invalid date: '2026-02-30'
              … and 9 more (--max-errors 0 lists all; --report ndjson streams them)
            """ + "\n")
        // A value the message does not show is shown beside it.
        let all = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "text", "--max-errors", "0"])
        XCTAssertTrue(all.stdout.contains(
            "row 9, date: invalid_date  Invalid date format, expected YYYY-MM-DD  value: '2026/01/08'\n"), all.stdout)
        XCTAssertTrue(all.stdout.contains("row 10 (line 11), store_id: control_character"), all.stdout)
    }

    func testSeveralFilesGiveOneReportEachAndTheWorstStatus() throws {
        let valid = try file("ok.csv", "transaction_id,amount,date,store_id\nT1,1,2024-01-01,S\n")
        let rows = try file("rows.ndjson", "{\"transaction_id\":\"T1\",\"amount\":\"x\",\"date\":\"2024-01-01\",\"store_id\":\"S\"}\n")
        var outcome = try validate([valid, rows, "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 1)
        let reports = outcome.stdout.split(separator: "\n")
        XCTAssertEqual(reports.count, 2)
        XCTAssertTrue(reports[0].hasPrefix(#"{"status":"valid""#))
        XCTAssertTrue(reports[1].hasPrefix(#"{"status":"warnings""#))
        XCTAssertTrue(reports[1].contains(#""name":"rows.ndjson""#))

        outcome = try validate([valid, rows, "--schema", "generic_transactions", "--report", "ndjson"])
        XCTAssertEqual(outcome.stdout, #"{"file":"\#(rows)","row":1,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'x'"}"# + "\n")

        // A missing file is reported on stderr; the others still are checked; the worst status wins.
        outcome = try validate([valid, scratch.appendingPathComponent("missing.csv").path, rows, "--schema", "generic_transactions"])
        XCTAssertEqual(outcome.status, 66)
        XCTAssertEqual(outcome.stdout.split(separator: "\n").count, 2)
        XCTAssertTrue(outcome.stderr.hasPrefix("preflight: cannot open"), outcome.stderr)

        outcome = try validate([valid, rows, "--schema", "generic_transactions", "--rejects", "r.csv"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertTrue(outcome.stderr.contains("one input file at a time"), outcome.stderr)
    }

    func testRejectsAndCleanFromTheCommandLine() throws {
        var outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--rejects", "bad.csv", "--clean", "good.csv"])
        XCTAssertEqual(outcome.status, 1)
        let header = "transaction_id,amount,date,store_id,customer_id,payment_method,items,tax,discount\n"
        XCTAssertEqual(try contents("good.csv"), header + "TXN001,19.99,2026-01-07,STORE-01,C-1001,card,3,1.60,0.00\n")
        let input = try String(contentsOfFile: brokenCSV, encoding: .utf8)
        XCTAssertEqual(try contents("bad.csv"), header + input.split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst(2).joined(separator: "\n"))
        XCTAssertEqual(try contents("bad.csv.errors.ndjson").split(separator: "\n").count, 12)
        XCTAssertTrue(try contents("bad.csv.errors.ndjson").hasPrefix(
            #"{"row":3,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'abc'"}"#))

        // JSON from standard input, written as a JSON array of the elements as they came.
        let json = "[{\"id\": 1}, {\"id\": \"\", \"t\": \"a b\"},\n {\"id\": 2}]"
        outcome = try run(["validate", "-", "--format", "json", "--schema", "productsup_stream", "--rejects", "r.json",
                           "--clean", "c.json", "--split-format", "json"], stdin: json)
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(try contents("c.json"), "[\n{\"id\": 1},\n{\"id\": 2}\n]\n")
        XCTAssertEqual(try contents("r.json"), "[\n{\"id\": \"\", \"t\": \"a b\"}\n]\n")
        outcome = try run(["validate", "-", "--format", "json", "--schema", "productsup_stream", "--clean", "c.ndjson"],
                          stdin: json)
        XCTAssertEqual(try contents("c.ndjson"), "{\"id\":1}\n{\"id\":2}\n")

        outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--rejects", "/nonexistent/dir/r.csv"])
        XCTAssertEqual(outcome.status, 74)
        XCTAssertTrue(outcome.stderr.hasPrefix("preflight: cannot write /nonexistent/dir/r.csv"), outcome.stderr)
    }

    func testCtrlCStopsWithThePartialCounts() throws {
        // About 140 MB: more than two 64 MiB windows, so the run asks for another window after the signal.
        let line = "T,1.00,2024-01-01,\(String(repeating: "s", count: 100))\n"
        let path = try file("big.csv", "transaction_id,amount,date,store_id\n")
        let block = Data(String(repeating: line, count: 1000).utf8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        for _ in 0..<(140_000_000 / block.count) { try handle.write(contentsOf: block) }
        try handle.close()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["validate", path, "--schema", "generic_transactions", "--no-unique-ids", "--max-rows", "0",
                             "--max-file-size", "0"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        usleep(300_000)
        kill(process.processIdentifier, SIGINT)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, stderr)
        XCTAssertEqual(stdout.count, 0, "no report for a run cut short")
        XCTAssertTrue(stderr.hasPrefix("preflight: stopped by Ctrl-C in big.csv after "), stderr)
        XCTAssertTrue(stderr.hasSuffix("errors so far; no report written\n"), stderr)
        XCTAssertEqual(stderr.filter { $0 == "\n" }.count, 1)
    }

    func testUnknownReportStyleIsAUsageError() throws {
        let outcome = try validate([brokenCSV, "--schema", "generic_transactions", "--report", "xml"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertTrue(outcome.stderr.contains("available: piing, productsup, jumbo, text, ndjson"), outcome.stderr)
    }
}
