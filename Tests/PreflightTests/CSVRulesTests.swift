import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// SPEC §5 codes on CSV input, each at its exact row, line and field.
final class CSVRulesTests: XCTestCase {
    func testValidFileAndHeaderOnlyFile() throws {
        var report = try validate("\(csvHeader)\nT1,10.00,2024-02-29,S1\nT2,0.01,2026-01-01,S2\n", .csv)
        XCTAssertEqual(report.status, .valid)
        XCTAssertEqual(report.totalRows, 2)
        XCTAssertEqual(report.validRows, 2)
        XCTAssertEqual(report.status, .valid)
        report = try validate(csvHeader + "\n", .csv)
        XCTAssertEqual(report.status, .valid)
        XCTAssertEqual(report.totalRows, 0)
    }

    func testEmptyPayload() throws {
        for text in ["", "\n", " \r\n\t\n", "\u{FEFF}", "\u{FEFF}\n\n"] {
            let report = try validate(text, .csv)
            XCTAssertEqual(report.located, [Located(0, 0, nil, "empty_payload")], text.debugDescription)
            XCTAssertEqual(report.errors.first?.error, "Empty Payload")
            XCTAssertEqual(report.status, .failed)
            XCTAssertEqual(report.totalRows, 0)
        }
        XCTAssertEqual(try validate("\u{FEFF}", .csv).notices.map(\.code), ["bom_present"])
    }

    func testRowAndLineNumbersWithQuotedNewlinesBlankLinesAndCRLF() throws {
        let text = "\n\(csvHeader)\r\n\r\n\"T\n1\",abc,2024-01-01,S1\r\n\nT2,1,2024-01-01,\r\n\"T3\",\"1\n\",2024-01-01,S\n"
        let report = try validate(text, .csv)
        XCTAssertEqual(report.located, [
            Located(2, 4, "amount", "invalid_amount"),
            Located(3, 7, "store_id", "missing_required_field"),
            Located(4, 8, "amount", "invalid_amount"),
        ])
        XCTAssertEqual(report.totalRows, 3)
        XCTAssertEqual(report.notices.map(\.code), ["mixed_line_endings"])
    }

    func testBOMIsStrippedAndNoticed() throws {
        let report = try validate("\u{FEFF}\(csvHeader)\nT1,1,2024-01-01,S1\n", .csv)
        XCTAssertEqual(report.status, .valid)
        XCTAssertEqual(report.notices, [Notice(code: "bom_present",
                                               message: "File starts with a UTF-8 byte order mark; remove it before upload",
                                               row: nil)])
    }

    func testMissingRequiredColumnIsReportedOnceAndOtherColumnsStillChecked() throws {
        let report = try validate("transaction_id,amount,date,extra\nT1,x,2024-01-01,e\nT2,5,2024-01-01,e\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 1, nil, "missing_required_column"), Located(2, 2, "amount", "invalid_amount")])
        XCTAssertEqual(report.errors.first?.error, "Missing required column: store_id")
        XCTAssertEqual(report.status, .failed)
        XCTAssertEqual(report.status, .failed)
        XCTAssertEqual(report.notices, [Notice(code: "unknown_column", message: "Unknown column: extra", row: 1)])
    }

    func testMissingIDColumnIsNotReportedPerRow() throws {
        let report = try validate("amount,date,store_id\n5,2024-01-01,S\n5,2024-01-01,S\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 1, nil, "missing_required_column")])
        XCTAssertEqual(report.errors.first?.error, "Missing required column: transaction_id")
    }

    func testDuplicateColumnOncePerNameFirstCopyValidated() throws {
        let report = try validate("transaction_id,amount,amount,date,store_id,amount\nT1,bad,5,2024-01-01,S1,bad\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 1, nil, "duplicate_column"), Located(2, 2, "amount", "invalid_amount")])
        XCTAssertEqual(report.errors.first?.error, "Duplicate column: amount")
    }

    func testRepeatedColumnsSecondCopyRaisesNothing() throws {
        // SPEC: only the first copy of a repeated name is validated, a control character included,
        // whether or not the schema names the column (`note` is unknown to generic_transactions).
        let header = "transaction_id,note,amount,date,store_id,note,amount\n"
        let report = try validate(header + "T1,ok,1.00,2024-01-01,S1,\u{01}bad,\u{02}\n"
                                  + "T2,\u{01},1.00,2024-01-01,S1,fine,x\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 1, nil, "duplicate_column"), Located(1, 1, nil, "duplicate_column"),
                                        Located(3, 3, "note", "control_character")])
        XCTAssertEqual(report.invalidRows, 1)
    }

    func testHeaderThatCannotBeReadIsInvalidFileOnly() throws {
        var report = try validate("transaction_id,\"amount\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 1, nil, "invalid_file")])
        XCTAssertTrue(report.errors[0].error.hasPrefix("File is not a valid CSV: "), report.errors[0].error)
        report = try validate("\n\ntransaction_id,am\"ount\nT1,x,y,z\n", .csv)
        XCTAssertEqual(report.located, [Located(1, 3, nil, "invalid_file")])
        XCTAssertEqual(report.totalRows, 0)
    }

    func testMissingIDAndMissingRequiredField() throws {
        let report = try validate("\(csvHeader)\n,1,2024-01-01,S1\n   ,1,2024-01-01,  \nT3,,2024-01-01,S1\n", .csv)
        XCTAssertEqual(report.located, [
            Located(2, 2, "transaction_id", "missing_id"),
            Located(3, 3, "transaction_id", "missing_id"), Located(3, 3, "store_id", "missing_required_field"),
            Located(4, 4, "amount", "missing_required_field"),
        ])
        XCTAssertEqual(report.errors.map(\.error), ["Missing \"id\" attribute", "Missing \"id\" attribute",
                                                    "Missing required field: store_id", "Missing required field: amount"])
    }

    func testOptionalValues() throws {
        // Empty optional: absent. Only spaces: checked as written.
        let report = try validate("\(csvHeader),items,tax,customer_id\nT1,1,2024-01-01,S1,,,\nT2,1,2024-01-01,S1, ,  ,  \n", .csv)
        XCTAssertEqual(report.located, [Located(3, 3, "items", "invalid_items"), Located(3, 3, "tax", "invalid_tax")])
    }

    /// Rows with an error leave the one-pass check for the ordered one; rows around them, and the
    /// ids of both kinds, keep their numbering (a valid row between two invalid ones, ids quoted
    /// and not, a duplicate of an id first seen in a row with an error).
    func testRowsWithAndWithoutErrorsAndQuotedIDs() throws {
        let text = "\(csvHeader),items\n" +
            "T1,1,2024-01-01,S1,2\n" +            // row 2: valid
            "\"T2\",x,2024-13-01,,\n" +           // row 3: three errors, in header order
            "T3,\"1.50\",2024-01-01,S1,\n" +      // row 4: valid, a quoted amount
            "T2,1,2024-01-01,S1,\"3\"\n" +        // row 5: duplicate of row 3's quoted id
            "\"T1\",0,2024-01-01,S1,\n"           // row 6: duplicate and not positive
        let report = try validate(text, .csv)
        XCTAssertEqual(report.located, [
            Located(3, 3, "amount", "invalid_amount"), Located(3, 3, "date", "invalid_date"),
            Located(3, 3, "store_id", "missing_required_field"),
            Located(5, 5, "transaction_id", "duplicate_id"),
            Located(6, 6, "transaction_id", "duplicate_id"), Located(6, 6, "amount", "invalid_amount"),
        ])
        XCTAssertEqual(report.errors[3].error, "Duplicate id: 'T2' (first seen in row 3)")
        XCTAssertEqual(report.validRows, 2)
        XCTAssertEqual(report.invalidRows, 3)
    }

    func testFieldCountMismatchIsTheOnlyErrorAndRegistersNoID() throws {
        let report = try validate("\(csvHeader)\nT1,abc\nT1,1,2024-01-01,S1,extra\nT1,1,2024-01-01,S1\n", .csv)
        XCTAssertEqual(report.located, [Located(2, 2, nil, "field_count_mismatch"), Located(3, 3, nil, "field_count_mismatch")])
        XCTAssertEqual(report.errors.map(\.error), ["Expected 4 fields, found 2", "Expected 4 fields, found 5"])
    }

    func testMalformedQuotes() throws {
        let text = "\(csvHeader)\nT1,12\" pizza,2024-01-01,S1\nT2,1,2024-01-01,S1\n\"T3\"x,1,2024-01-01,S1\n\"T\n4\",1,\"2024\"-01-01,S1\nT5,1,2024-01-01,S1\n"
        let report = try validate(text, .csv)
        XCTAssertEqual(report.located, [
            Located(2, 2, nil, "malformed_quotes"), Located(4, 4, nil, "malformed_quotes"), Located(5, 5, nil, "malformed_quotes"),
        ])
        XCTAssertEqual(report.errors.first?.error, "Malformed quoted field")
        XCTAssertEqual(report.totalRows, 5)
        XCTAssertEqual(report.invalidRows, 3)
    }

    func testUnterminatedQuoteAtTheRowWhereItOpened() throws {
        let report = try validate("\(csvHeader)\nT1,1,2024-01-01,S1\nT2,\"1,2024-01-01,S1\nT3,1,2024-01-01,S1\n", .csv)
        XCTAssertEqual(report.located, [Located(3, 3, nil, "unterminated_quote")])
        XCTAssertEqual(report.errors.first?.error, "Quoted field not terminated")
        XCTAssertEqual(report.totalRows, 2)
    }

    func testRecordTooLarge() throws {
        let big = String(repeating: "x", count: 60)
        let report = try validate("\(csvHeader)\nT1,1,2024-01-01,\(big)\nT2,\"\(big)\n\",2024-01-01,S1\nT3,1,2024-01-01,S1\n",
                                  .csv) { $0.lineCap = 50 }
        XCTAssertEqual(report.located, [Located(2, 2, nil, "record_too_large"), Located(3, 3, nil, "record_too_large")])
        XCTAssertEqual(report.errors.first?.error, "Product payload is too large")
    }

    func testControlCharacterPerField() throws {
        let report = try validate("\(csvHeader),customer_id\nT1,1\u{1},2024-01-01,S\u{0}1,a\rb\nT2,1,2024-01-01,\"S\n2\",c\td\n", .csv)
        XCTAssertEqual(report.located, [
            Located(2, 2, "amount", "control_character"), Located(2, 2, "store_id", "control_character"),
            Located(2, 2, "customer_id", "control_character"),
        ])
        XCTAssertEqual(report.errors.first?.error, "Control character error, possibly incorrectly encoded")
    }

    func testInvalidUTF8IsOneWholeRowError() throws {
        var bytes = Array("\(csvHeader)\nT1,abc,2024-01-01,S".utf8)
        bytes += [0xFF, 0x0A]
        bytes += Array("T2,1,2024-01-01,S\n".utf8)
        let report = try validate(bytes: bytes, .csv)
        assertErrors(report, [Located(2, 2, nil, "invalid_utf8")])
        XCTAssertEqual(report.errors.first?.error, "Invalid UTF-8 encoding")
    }

    func testDuplicateIDNamesTheFirstRow() throws {
        let report = try validate("\(csvHeader)\nTXN001,1,2024-01-01,S\nTXN002,x,2024-01-01,S\nTXN001,1,2024-01-01,S\nTXN002,1,2024-01-01,S\n", .csv)
        XCTAssertEqual(report.located, [
            Located(3, 3, "amount", "invalid_amount"), Located(4, 4, "transaction_id", "duplicate_id"),
            Located(5, 5, "transaction_id", "duplicate_id"),
        ])
        XCTAssertEqual(report.errors[1].error, "Duplicate id: 'TXN001' (first seen in row 2)")
        XCTAssertEqual(report.errors[2].error, "Duplicate id: 'TXN002' (first seen in row 3)")
        let unchecked = try validate("\(csvHeader)\nA,1,2024-01-01,S\nA,1,2024-01-01,S\n", .csv) { $0.uniqueIDs = false }
        XCTAssertEqual(unchecked.status, .valid)
    }

    func testTooManyRowsAndFileTooLargeKeepCounting() throws {
        let rows = (1...4).map { "T\($0),x,2024-01-01,S" }.joined(separator: "\n")
        let report = try validate("\(csvHeader)\n\(rows)\n", .csv) {
            $0.maxRows = 2
            $0.maxFileSize = 10
        }
        XCTAssertEqual(report.located, [
            Located(0, 0, nil, "file_too_large"),
            Located(2, 2, "amount", "invalid_amount"), Located(3, 3, "amount", "invalid_amount"),
            Located(4, 4, nil, "too_many_rows"), Located(4, 4, "amount", "invalid_amount"),
            Located(5, 5, "amount", "invalid_amount"),
        ])
        XCTAssertEqual(report.errors[0].error, "File exceeds 10 bytes limit")
        XCTAssertEqual(report.errors[3].error, "File exceeds 2 row limit")
        XCTAssertEqual(report.totalRows, 4)
        XCTAssertEqual(report.invalidRows, 4)
        XCTAssertEqual(report.totalErrors, 6)
        XCTAssertEqual(try validate("h\n", .csv) { $0.maxFileSize = 1 }.errors.first?.error,
                       "File exceeds 1 bytes limit")
    }

    func testDefaultLimitMessages() {
        XCTAssertEqual(IssueKind.fileTooLarge(limit: 100 * 1_048_576).message(field: nil, value: nil), "File exceeds 100 MB limit")
        XCTAssertEqual(IssueKind.tooManyRows(limit: 1_000_000).message(field: nil, value: nil), "File exceeds 1000000 row limit")
    }

    func testSemicolonDelimiter() throws {
        let report = try validate("transaction_id;amount;date;store_id\nT1;\"1,5\";2024-01-01;S\n", .csv) {
            $0.delimiter = UInt8(ascii: ";")
        }
        XCTAssertEqual(report.located, [Located(2, 2, "amount", "invalid_amount")])
        XCTAssertEqual(report.errors.first?.error, "Invalid number format: '1,5'")
    }

    func testSquarePOSDatetime() throws {
        let report = try validate("""
            transaction_id,gross_sales,created_at,location_id
            A,1,2026-01-07T12:00:00Z,L
            B,1,2026-01-07 12:00:00,L
            C,-1,2026-02-30T00:00:00+01:00,L
            D,1,2026-01-07,L
            """, .csv, schema: .squarePOS)
        XCTAssertEqual(report.located, [Located(3, 3, "created_at", "invalid_created_at"), Located(4, 4, "created_at", "invalid_created_at")])
        XCTAssertEqual(report.errors[1].error, "Invalid datetime: '2026-02-30T00:00:00+01:00'")
    }

    func testMaxErrorsCapsTheListButNotTheCounts() throws {
        let rows = (1...10).map { "T\($0),x,2024-01-01," }.joined(separator: "\n")
        let report = try validate("\(csvHeader)\n\(rows)\n", .csv) { $0.maxErrors = 3 }
        XCTAssertEqual(report.located, [
            Located(2, 2, "amount", "invalid_amount"), Located(2, 2, "store_id", "missing_required_field"),
            Located(3, 3, "amount", "invalid_amount"),
        ])
        XCTAssertEqual(report.totalErrors, 20)
        XCTAssertEqual(report.errorCounts, ["invalid_amount": 10, "missing_required_field": 10])
        XCTAssertEqual(report.invalidRows, 10)
    }
}
