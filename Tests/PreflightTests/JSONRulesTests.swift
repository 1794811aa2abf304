import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

private let good = #""transaction_id":"T1","amount":"10.00","date":"2024-01-01","store_id":"S1""#

/// SPEC §5 codes on NDJSON and JSON input, each at its exact row, line and field.
final class NDJSONRulesTests: XCTestCase {
    func testEveryLineIsARowAndAFinalTerminatorStartsNone() throws {
        XCTAssertEqual(try validate("{\(good)}\n{\"transaction_id\":\"T2\",\"amount\":1,\"date\":\"2024-01-01\",\"store_id\":\"S\"}\n", .ndjson).totalRows, 2)
        let report = try validate("{\(good)}\n{\"transaction_id\":\"T2\",\"amount\":1,\"date\":\"2024-01-01\",\"store_id\":\"S\"}\n\n", .ndjson)
        XCTAssertEqual(report.totalRows, 3)
        XCTAssertEqual(report.located, [Located(3, 3, nil, "empty_line")])
        XCTAssertEqual(report.errors[0].error, "Empty Payload line")
    }

    func testWholeLineErrors() throws {
        var bytes = Array("""
            {\(good)}
               \t
            {"transaction_id": "T2",
            [1,2]
            "text"
            {}
            {"a":null,"b":""}
            {"transaction_id":"T\tX","amount":1}

            """.utf8)
        bytes += [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D, 0x0A]  // {"a":"\xC3("}
        bytes += Array("{\"transaction_id\":\"T3\",\"amount\":1,\"date\":\"2024-01-01\",\"store_id\":\"S\"} x\n".utf8)
        let report = try validate(bytes: bytes, .ndjson)
        XCTAssertEqual(report.located, [
            Located(2, 2, nil, "empty_line"), Located(3, 3, nil, "syntax_error"), Located(4, 4, nil, "not_an_object"),
            Located(5, 5, nil, "not_an_object"), Located(6, 6, nil, "empty_attributes"), Located(7, 7, nil, "empty_attributes"),
            Located(8, 8, nil, "control_character"), Located(9, 9, nil, "invalid_utf8"), Located(10, 10, nil, "syntax_error"),
        ])
        XCTAssertTrue(report.errors[1].error.hasPrefix("Syntax error"))
        XCTAssertEqual(report.errors[2].error, "Expected a JSON object")
        XCTAssertEqual(report.errors[4].error, "Empty Product Attributes")
        XCTAssertEqual(report.errors[6].error, "Control character error, possibly incorrectly encoded")
        XCTAssertEqual(report.errors[7].error, "Invalid UTF-8 encoding")
        XCTAssertEqual(report.totalRows, 10)
        XCTAssertEqual(report.invalidRows, 9)
    }

    func testRecordTooLargeAtTheCap() throws {
        let line = "{\(good),\"pad\":\"\(String(repeating: "p", count: 20))\"}"
        var report = try validate("\(line)\n{}\n", .ndjson) { $0.lineCap = line.utf8.count; $0.schema = .productsupStream }
        XCTAssertEqual(report.located, [Located(1, 1, "id", "missing_id"), Located(2, 2, nil, "empty_attributes")])
        report = try validate("\(line)\n{}\n", .ndjson) { $0.lineCap = line.utf8.count - 1 }
        XCTAssertEqual(report.located, [Located(1, 1, nil, "record_too_large"), Located(2, 2, nil, "empty_attributes")])
    }

    func testFieldErrorsInSchemaOrder() throws {
        let report = try validate("""
            {"store_id":"","date":"2026-02-30","amount":"-5.00","transaction_id":"  "}
            {"date":"2024-01-01","amount":1e5,"transaction_id":1009,"store_id":"S","items":2.0,"extra":1}
            {"transaction_id":"1009","amount":true,"date":null,"store_id":"S","tax":[1]}
            """, .ndjson)
        XCTAssertEqual(report.located, [
            Located(1, 1, "transaction_id", "missing_id"), Located(1, 1, "amount", "invalid_amount"),
            Located(1, 1, "date", "invalid_date"), Located(1, 1, "store_id", "missing_required_field"),
            Located(2, 2, "amount", "invalid_amount"), Located(2, 2, "items", "invalid_items"),
            Located(3, 3, "transaction_id", "duplicate_id"), Located(3, 3, "amount", "invalid_amount"),
            Located(3, 3, "date", "missing_required_field"), Located(3, 3, "tax", "invalid_tax"),
        ])
        XCTAssertEqual(report.errors.map(\.error), [
            "Missing \"id\" attribute", "Value must be positive: '-5.00'", "Invalid date: '2026-02-30'",
            "Missing required field: store_id", "Invalid number format: '1e5'", "Invalid integer format: '2.0'",
            "Duplicate id: '1009' (first seen in row 2)", "Invalid number format: 'true'", "Missing required field: date",
            "Invalid number format: '[1]'",
        ])
        XCTAssertEqual(report.notices, [Notice(code: "unknown_column", message: "Unknown column: extra", row: 2)])
    }

    func testFlatteningAndLastKeyWins() throws {
        let report = try validate("""
            {"id":"A","customer":{"id":"C1","tags":["a", "b"]}}
            {"id":{"x":1},"other":2}
            {"id":"B","id":null}
            {"id":["a", {"b" : "\\u0041"}]}
            {"id":["a",{"b":"A"}]}
            """, .ndjson, schema: .productsupStream)
        XCTAssertEqual(report.located, [
            Located(2, 2, "id", "missing_id"), Located(3, 3, "id", "missing_id"), Located(5, 5, "id", "duplicate_id"),
        ])
        XCTAssertEqual(report.errors[2].error, #"Duplicate id: '["a",{"b":"A"}]' (first seen in row 4)"#)
        XCTAssertEqual(report.notices, [])
    }

    /// Nested names are dot-joined at any depth (an empty nested object gives none); an array's
    /// value is its compact text, strings written again with the fewest escapes (`\u0041` → `A`,
    /// `\u0001` kept as `\u0001`, a surrogate pair as UTF-8).
    func testNestedNamesAndArrayTextWithEscapes() throws {
        let line = #"{"transaction_id":"T1","amount":"1","date":"2024-01-01","store_id":"S","#
            + #""items":[1, "a\"b\\c\n\u0041\u00e9\ud83d\ude00\u0001", {"k" : [true,null]}],"#
            + #""tax":{"a":{"b":1,"c":{}},"d":[ ]},"extra":{"q":"\u0022"}}"#
        let report = try validate(line + "\n", .ndjson)
        XCTAssertEqual(report.errors.map(\.error),
                       [#"Invalid integer format: '[1,"a\"b\\c\nAé😀\u0001",{"k":[true,null]}]'"#])
        XCTAssertEqual(report.notices.map(\.message),
                       ["Unknown column: tax.a.b", "Unknown column: tax.d", "Unknown column: extra.q"])
    }

    /// Long nested names (past the flattener's first buffer sizes) and many attributes in a row.
    func testLongNestedNamesAndManyAttributes() throws {
        let a = String(repeating: "a", count: 3000), b = String(repeating: "b", count: 5000)
        let many = (0..<200).map { "\"k\($0)\":{\"v\":[\($0)]}" }.joined(separator: ",")
        let report = try validate(#"{"\#(a)":{"\#(b)":{"c":[1, 2]}},"id":"x",\#(many)}"# + "\n", .ndjson,
                                  schema: .genericTransactions)
        XCTAssertEqual(report.notices.count, 100)  // unknown names are noticed up to a limit
        XCTAssertEqual(report.notices.first?.message, "Unknown column: \(a).\(b).c")
        XCTAssertEqual(report.notices[1].message, "Unknown column: id")
        XCTAssertEqual(report.notices.last?.message, "Unknown column: k97.v")
    }

    /// Rows that repeat the previous row's shape are read from the members as listed (no
    /// flattening, no look-ups); these rows switch shapes, nest, repeat keys, empty themselves and
    /// put arrays in columns, and every verdict, row and notice must be as for a row looked up.
    func testRowsThatRepeatOrChangeTheirShape() throws {
        let head = #""amount":"1.00","date":"2024-01-01","store_id":"S""#
        let lines = [
            #"{"transaction_id":"T1",\#(head),"customer":{"id":"C"}}"#,
            #"{"transaction_id":"T2","amount":"x","date":"2024-01-01","store_id":"S","customer":{"id":"C"}}"#,
            #"{"transaction_id":null,\#(head),"customer":{"id":"C"}}"#,
            #"{"transaction_id":null,"amount":"","date":null,"store_id":"","customer":{"id":null}}"#,
            #"{"transaction_id":"T5",\#(head),"customer":"C"}"#,
            #"{"transaction_id":"T6",\#(head),"customer.id":"C"}"#,
            #"{"transaction_id":"T7",\#(head),"items":[1]}"#,
            #"{"transaction_id":"T8",\#(head),"items":[2, 3]}"#,
            #"{"transaction_id":"T9",\#(head),"items":null}"#,
            #"{"transaction_id":"T1","transaction_id":"T10",\#(head)}"#,
            #"{"transaction_id":"T11","transaction_id":"T1",\#(head)}"#,
            #"{"transaction_id":"T12",\#(head),"tags":[1],"x":{"y":{"z":1}}}"#,
            #"{"transaction_id":"T13",\#(head),"tags":[2],"x":{"y":{"w":1}}}"#,
            #"{"transaction_id":"T14",\#(head),"tags":[2],"x":{"y":{}}}"#,
            #"{"transaction_id":"T15","amount":"-1","date":"2024-13-01","store_id":"","tags":[2],"x":{"y":{}}}"#,
        ]
        for format in [InputFormat.ndjson, .json] {
            let text = format == .ndjson ? lines.joined(separator: "\n") + "\n" : "[" + lines.joined(separator: ",\n") + "]"
            let report = try validate(text, format)
            XCTAssertEqual(report.located, [
                Located(2, 2, "amount", "invalid_amount"), Located(3, 3, "transaction_id", "missing_id"),
                Located(4, 4, nil, "empty_attributes"), Located(7, 7, "items", "invalid_items"),
                Located(8, 8, "items", "invalid_items"), Located(11, 11, "transaction_id", "duplicate_id"),
                Located(15, 15, "amount", "invalid_amount"), Located(15, 15, "date", "invalid_date"),
                Located(15, 15, "store_id", "missing_required_field"),
            ], "\(format)")
            XCTAssertEqual(report.errors[4].error, "Invalid integer format: '[2,3]'")
            XCTAssertEqual(report.errors[5].error, "Duplicate id: 'T1' (first seen in row 1)")
            XCTAssertEqual(report.notices.map { "\($0.row ?? 0) \($0.message)" }, [
                "1 Unknown column: customer.id", "5 Unknown column: customer", "12 Unknown column: tags",
                "12 Unknown column: x.y.z", "13 Unknown column: x.y.w",
            ], "\(format)")
        }
    }

    func testBOMAndMixedLineEndings() throws {
        let report = try validate("\u{FEFF}{\"id\":1}\r\n{\"id\":2}\n", .ndjson, schema: .productsupStream)
        XCTAssertEqual(report.status, .valid)
        XCTAssertEqual(report.notices.map(\.code), ["bom_present", "mixed_line_endings"])
    }

    func testEmptyPayload() throws {
        for text in ["", "\n\n", " \r\n", "\u{FEFF}"] {
            XCTAssertEqual(try validate(text, .ndjson).located, [Located(0, 0, nil, "empty_payload")], text.debugDescription)
        }
    }

    func testLastLineWithoutTerminatorNearTheEndOfTheBuffer() throws {
        // The last line has no padding after it in the input: the reader must copy it.
        let report = try validate("{\"id\":1}\n{\"id\":1}", .ndjson, schema: .productsupStream)
        XCTAssertEqual(report.located, [Located(2, 2, "id", "duplicate_id")])
    }
}

final class JSONRulesTests: XCTestCase {
    func testElementsAreRowsWithTheirStartLines() throws {
        let report = try validate("""
            [
              {\(good)},
              {"transaction_id":"T2","amount":"abc",
               "date":"2024-01-01","store_id":"S"}, {"transaction_id":"T3","amount":1,"date":"2024-01-01"},
              7,
              {}
            ]
            """, .json)
        XCTAssertEqual(report.located, [
            Located(2, 3, "amount", "invalid_amount"), Located(3, 4, "store_id", "missing_required_field"),
            Located(4, 5, nil, "not_an_object"), Located(5, 6, nil, "empty_attributes"),
        ])
        XCTAssertEqual(report.totalRows, 5)
    }

    func testOneLineArrayGivesLineOne() throws {
        let report = try validate(#"[{"id":1},{"id":1},{"id":"","x":1}]"#, .json, schema: .productsupStream)
        XCTAssertEqual(report.located, [Located(2, 1, "id", "duplicate_id"), Located(3, 1, "id", "missing_id")])
    }

    func testWrappersInLookupOrder() throws {
        let text = #"{"rows":[{"id":1}],"records":"not an array","meta":{"n":[1,2]},"data":[{"id":2},{"id":2}],"items":[]}"#
        let report = try validate(text, .json, schema: .productsupStream)
        XCTAssertEqual(report.totalRows, 2)
        XCTAssertEqual(report.located, [Located(2, 1, "id", "duplicate_id")])
        let records = try validate(#"{"records":[{"id":"r"}],"rows":[{}]}"#, .json, schema: .productsupStream)
        XCTAssertEqual(records.totalRows, 1)
        XCTAssertEqual(records.status, .valid)
        // The last copy of a name decides: `data` last holds an object, so `items` (last an
        // array) is used, not `data`'s earlier array.
        let copies = try validate(#"{"data":[{"id":1},{"id":2},{"id":3}],"data":{},"items":5,"items":[{"id":9}]}"#,
                                  .json, schema: .productsupStream)
        XCTAssertEqual(copies.totalRows, 1)
    }

    func testEmptyArrayIsValid() throws {
        let report = try validate("[]", .json)
        XCTAssertEqual(report.status, .valid)
        XCTAssertEqual(report.totalRows, 0)
    }

    func testSyntaxErrorAnywhereIsInvalidFileWithLineAndOffset() throws {
        let report = try validate("[{\"id\":\"bad\"},\n{\"id\":1},\n{\"id\":2,}]", .json, schema: .productsupStream)
        XCTAssertEqual(report.located, [Located(0, 0, nil, "invalid_file")])
        XCTAssertTrue(report.errors[0].error.hasPrefix("File is not a valid JSON: syntax error at line 3, byte offset "),
                      report.errors[0].error)
        XCTAssertEqual(report.totalRows, 0)
        XCTAssertEqual(report.validatedRows, 0)
        XCTAssertEqual(report.status, .failed)
    }

    func testControlCharacterAndInvalidUTF8AreInvalidFile() throws {
        var report = try validate("[{\"id\":\"a\nb\"}]", .json, schema: .productsupStream)
        XCTAssertEqual(report.located, [Located(0, 0, nil, "invalid_file")])
        XCTAssertEqual(report.errors[0].error, "File is not a valid JSON: control character in a string at line 1, byte offset 9")
        report = try validate(bytes: Array("[{\"id\":\"a".utf8) + [0xFF] + Array("\"}]".utf8), .json, schema: .productsupStream)
        XCTAssertEqual(report.errors.map(\.error), ["File is not a valid JSON: invalid UTF-8 at line 1, byte offset 9"])
    }

    func testWrongShape() throws {
        for text in [#"{"id":1}"#, "5", #"{"data":{"id":1}}"#, #""text""#] {
            let report = try validate(text, .json, schema: .productsupStream)
            XCTAssertEqual(report.codes, ["invalid_file"], text)
            XCTAssertEqual(report.errors.first?.error,
                           "File is not a valid JSON: expected an array of objects, or an object with a data, records, items or rows array")
        }
    }

    func testRecordTooLargeElement() throws {
        let report = try validate(#"[{"id":"a"}, {"id":"bbbbbbbbbbbbbbbbbbbbbbbb"} ]"#, .json, schema: .productsupStream) {
            $0.lineCap = 10
        }
        XCTAssertEqual(report.located, [Located(2, 1, nil, "record_too_large")])
        let exact = try validate(#"[{"id":"a"}]"#, .json, schema: .productsupStream) { $0.lineCap = 10 }
        XCTAssertEqual(exact.status, .valid)
    }

    func testBOMAndEmptyPayload() throws {
        XCTAssertEqual(try validate("\u{FEFF}[{\"id\":1}]", .json, schema: .productsupStream).notices.map(\.code), ["bom_present"])
        XCTAssertEqual(try validate(" \n ", .json).codes, ["empty_payload"])
    }
}
