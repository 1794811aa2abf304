import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Schema files in preflight's own format (JSON and YAML): what they load to, the rows and
/// messages their types and constraints give on CSV, NDJSON and JSON, and the refusals.
final class SchemaFileTests: XCTestCase {
    private func load(_ text: String, name: String = "s.json") throws -> [Schema] {
        try SchemaFile.load(bytes: Array(text.utf8), name: name)
    }

    private func refusal(_ text: String, name: String = "s.json") -> String? {
        do {
            _ = try load(text, name: name)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testTheBuiltInsPrintAndLoadBackEqual() throws {
        let text = PreflightSchemaFormat.text(of: Schema.builtIn)
        XCTAssertEqual(try load(text), Schema.builtIn)
        XCTAssertTrue(text.contains(#"{"name": "amount", "type": "decimal", "required": true, "exclusiveMinimum": 0}"#), text)
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [Schema.productsupStream])), [Schema.productsupStream])
    }

    static let ordersYAML = """
        # Orders export
        name: orders
        idField: order_id
        missingValues: ["", "NA"]
        columns:
          - {name: order_id, type: integer, required: true, minimum: 1}
          - {name: status, type: string, required: true, enum: [open, shipped, "no"]}
          - {name: amount, type: number, required: true, exclusiveMinimum: 0, maximum: 10000, multipleOf: 0.01}
          - {name: placed, type: date, format: "%d/%m/%Y", required: true}
          - {name: at, type: time}
          - {name: gift, type: boolean, trueValues: ["yes"], falseValues: ["no"]}
          - {name: code, type: string, minLength: 3, maxLength: 5}
          - {name: year, type: year, minimum: 2000}
          - {name: day, type: date, exclusiveMaximum: "2026-01-01"}
          - {name: kind, type: integer, const: 7}
        """

    func testYAMLAndJSONLoadTheSameSchema() throws {
        let json = #"""
            {"name": "orders", "idField": "order_id", "missingValues": ["", "NA"], "columns": [
              {"name": "order_id", "type": "integer", "required": true, "minimum": 1},
              {"name": "status", "type": "string", "required": true, "enum": ["open", "shipped", "no"]},
              {"name": "amount", "type": "number", "required": true, "exclusiveMinimum": 0, "maximum": 10000, "multipleOf": 0.01},
              {"name": "placed", "type": "date", "format": "%d/%m/%Y", "required": true},
              {"name": "at", "type": "time"},
              {"name": "gift", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
              {"name": "code", "type": "string", "minLength": 3, "maxLength": 5},
              {"name": "year", "type": "year", "minimum": 2000},
              {"name": "day", "type": "date", "exclusiveMaximum": "2026-01-01"},
              {"name": "kind", "type": "integer", "const": 7}
            ]}
            """#
        let fromYAML = try load(Self.ordersYAML, name: "s.yaml")
        XCTAssertEqual(fromYAML, try load(json))
        let schema = try XCTUnwrap(fromYAML.first)
        XCTAssertEqual(schema.idColumn?.name, "order_id")
        XCTAssertEqual(schema.columns[2].constraints.multipleOf, "0.01")
        XCTAssertEqual(schema.columns[1].constraints.enumValues, ["open", "shipped", "no"])
        // What it prints loads back equal.
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: fromYAML)), fromYAML)
    }

    func testTypesAndConstraintsOnCSVRows() throws {
        let schema = try XCTUnwrap(load(Self.ordersYAML, name: "s.yaml").first)
        let report = try validate("""
            order_id,status,amount,placed,at,gift,code,year,day,kind,note
            1,open,10.50,31/12/2025,12:00:00,yes,ABC,2024,2025-12-31,7,x
            2,closed,0,30/02/2025,25:00:00,maybe,AB,1999,2026-01-01,07.0,y
            0,no,1e3,1/1/2025,NA,no,ABCDEF,20x5,2025-02-30,8,z
            3,NA,10000.001,2025-01-01,12:00,,ABCD,,,,
            3,shipped,1.234,01/01/2025,,NA,NA,2001,,7e0,

            """, .csv, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "3 invalid_status Value must be one of 'open', 'shipped', 'no': 'closed'",
            "3 invalid_amount Value must be greater than 0: '0'",
            "3 invalid_placed Invalid date: '30/02/2025'",
            "3 invalid_at Invalid time: '25:00:00'",
            "3 invalid_gift Invalid boolean: 'maybe'",
            "3 invalid_code Value must be at least 3 characters long: 'AB'",
            "3 invalid_year Value must be at least 2000: '1999'",
            "3 invalid_day Value must be less than 2026-01-01: '2026-01-01'",
            "3 invalid_kind Invalid integer format: '07.0'",
            "4 invalid_order_id Value must be at least 1: '0'",
            "4 invalid_code Value must be at most 5 characters long: 'ABCDEF'",
            "4 invalid_year Invalid year: '20x5'",
            "4 invalid_day Invalid date: '2025-02-30'",
            "4 invalid_kind Value must be '7': '8'",
            "5 missing_required_field Missing required field: status",
            "5 invalid_amount Value must be at most 10000: '10000.001'",
            "5 invalid_placed Invalid date format, expected %d/%m/%Y: '2025-01-01'",
            "5 invalid_at Invalid time format, expected hh:mm:ss with optional fraction and zone: '12:00'",
            "6 duplicate_id Duplicate id: '3' (first seen in row 5)",
            "6 invalid_amount Value must be a multiple of 0.01: '1.234'",
            "6 invalid_kind Invalid integer format: '7e0'",
        ])
        XCTAssertEqual(report.notices.map(\.message), ["Unknown column: note"])
    }

    /// JSON rows: numbers and strings are judged on their text (`"7"` and `7` alike); a JSON
    /// boolean is a boolean whatever the spellings; the same verdicts for rows read through the
    /// cached shape and for flattened ones.
    func testTypesAndConstraintsOnJSONRows() throws {
        let schema = try XCTUnwrap(load(Self.ordersYAML, name: "s.yaml").first)
        let lines = [
            #"{"order_id":1,"status":"open","amount":10.5,"placed":"31/12/2025","gift":"yes","kind":"7"}"#,
            #"{"order_id":2,"status":"open","amount":"10.5","placed":"31/12/2025","gift":true,"kind":7}"#,
            #"{"order_id":3,"status":"open","amount":0.001,"placed":"31/12/2025","gift":"no","kind":7.0}"#,
            #"{"order_id":"4","status":"NA","amount":1,"placed":"31/12/2025","gift":false,"kind":7,"x":{"y":1}}"#,
            #"{"order_id":5,"status":"open","amount":1,"placed":"31/12/2025","gift":null,"kind":[7]}"#,
        ]
        for format in [InputFormat.ndjson, .json] {
            let text = format == .ndjson ? lines.joined(separator: "\n") + "\n" : "[" + lines.joined(separator: ",\n") + "]"
            let report = try validate(text, format, schema: schema)
            XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
                "3 invalid_amount Value must be a multiple of 0.01: '0.001'",
                "3 invalid_kind Invalid integer format: '7.0'",
                "4 missing_required_field Missing required field: status",
                "5 invalid_kind Invalid integer format: '[7]'",
            ], "\(format)")
            XCTAssertEqual(report.notices.map(\.message), ["Unknown column: x.y"], "\(format)")
        }
    }

    func testRefusalsNameTheFileThePathAndTheProblem() {
        let cases: [(String, String)] = [
            (#"{"name":"x","columns":[{"name":"a","type":"strin"}]}"#,
             "s.json: $.columns[0].type: unknown type 'strin' (expected one of string, decimal, integer, number, boolean, date, datetime, time, year, any, string_or_number)"),
            (#"{"name":"x","columns":[{"name":"a","type":"integer","enum":["1","a"]}]}"#,
             "s.json: $.columns[0].enum: 'a' is not a valid integer"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","minimum":1}]}"#,
             "s.json: $.columns[0].minimum: bounds are for numbers and dates in the default layout, not string"),
            (#"{"name":"x","columns":[{"name":"a","type":"integer","minLength":1}]}"#,
             "s.json: $.columns[0].minLength: lengths are for text columns, not integer"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","unique":"yes"}]}"#,
             "s.json: $.columns[0].unique: expected true or false, found a string"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","pattern":"[A-Z"}]}"#,
             "s.json: $.columns[0].pattern: invalid pattern at offset 4: missing terminating ] for character class"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","patternMatches":"anywhere"}]}"#,
             "s.json: $.columns[0].patternMatches: 'patternMatches' without a 'pattern'"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","foo":1}]}"#,
             "s.json: $.columns[0].foo: unknown keyword 'foo'"),
            (#"{"name":"x","columns":[{"name":"a","type":"date","format":"%d.%b"}]}"#,
             "s.json: $.columns[0].format: the directive '%b' is not supported (use %Y %y %m %d %H %M %S %f %z)"),
            (#"{"name":"x","columns":[{"name":"a","type":"date","format":"%d.%m"}]}"#,
             "s.json: $.columns[0].format: a date layout needs %Y (or %y), %m and %d"),
            (#"{"name":"x","columns":[{"name":"a","type":"number","minimum":5,"maximum":1}]}"#,
             "s.json: $.columns[0].minimum: the lower bound 5 is above the upper bound 1"),
            (#"{"name":"x","columns":[{"name":"a","type":"number","multipleOf":0}]}"#,
             "s.json: $.columns[0].multipleOf: '0' is not a number greater than 0"),
            (#"{"name":"x","columns":[{"name":"a","type":"string","trueValues":["y"]}]}"#,
             "s.json: $.columns[0].trueValues: spellings of true and false are for boolean columns, not string"),
            (#"{"name":"x","idField":"b","columns":[{"name":"a","type":"number"}]}"#,
             "s.json: $.idField: 'b' is not one of the columns"),
            (#"{"name":"x","columns":[{"name":"a","type":"number"},{"name":"a","type":"string"}]}"#,
             "s.json: $.columns[1]: a second column named 'a'"),
            (#"{"name":"x","columns":[{"name":"a","type":"number"},]}"#,
             "s.json: invalid JSON at line 1, column 53: unexpected character"),
            (#"{"name":"x","columns":[{"name":"a","type":"number","required":"yes"}]}"#,
             "s.json: $.columns[0].required: expected true or false, found a string"),
            (#"{"name":"x","otherColumns":"maybe","columns":[]}"#,
             "s.json: $.otherColumns: expected notice, allow or reject, found 'maybe'"),
            (#"[1]"#, "s.json: $: expected an object at the top, found an array"),
            (#"{"columns":[]}"#, "s.json: $: a schema needs a 'name'"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(refusal(text), expected, text)
        }
        XCTAssertEqual(refusal("name: x\ncolumns:\n  - *a\n", name: "s.yaml")?.hasPrefix("s.yaml: invalid YAML: "), true)
    }

    /// `pattern`: the whole value must match (a value with a line break after a match does not),
    /// or (`patternMatches: anywhere`) a part of it; after `enum`/`const` and before lengths; PCRE2
    /// syntax on UTF-8 (`é` is one character).
    func testPatterns() throws {
        let text = #"""
            {"name": "p", "columns": [
              {"name": "code", "type": "string", "pattern": "[A-Z]{3}-\\d+", "maxLength": 6},
              {"name": "s", "type": "string", "pattern": "é.?$", "patternMatches": "anywhere"},
              {"name": "n", "type": "integer", "pattern": "[0-9]{2}", "enum": [10, 11, 123]}
            ]}
            """#
        let schema = try XCTUnwrap(load(text).first)
        XCTAssertEqual(schema.columns[0].constraints.pattern, #"[A-Z]{3}-\d+"#)
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [schema])), [schema])
        let report = try validate("code,s,n\nABC-12,café,10\nabc-12,cafe,123\nABC-123,é,12\n\"ABC-1\n\",xéy,\n",
                                  .csv, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            #"3 invalid_code Value must match the pattern '[A-Z]{3}-\d+': 'abc-12'"#,
            "3 invalid_s Value must match the pattern 'é.?$': 'cafe'",
            "3 invalid_n Value must match the pattern '[0-9]{2}': '123'",
            "4 invalid_code Value must be at most 6 characters long: 'ABC-123'",
            "4 invalid_n Value must be one of '10', '11', '123': '12'",
            #"5 invalid_code Value must match the pattern '[A-Z]{3}-\d+': 'ABC-1"# + "\n'",
        ])
        let json = try validate(#"{"code":"ABC-1","s":"é","n":11}"# + "\n" + #"{"code":"ABC","s":"e","n":"11"}"# + "\n",
                                .ndjson, schema: schema)
        XCTAssertEqual(json.errors.map { "\($0.row) \($0.code)" }, ["2 invalid_code", "2 invalid_s"])
    }

    /// `unique`: the second and later rows holding a value already seen, naming the first row;
    /// numbers by value and booleans by truth (shown in that form), absent values never repeat;
    /// a row with several repeated values is one invalid row; any thread count and window.
    func testUniqueColumns() throws {
        let schema = try XCTUnwrap(load("""
            {"name": "u", "idField": "id", "missingValues": ["", "NA"], "columns": [
              {"name": "id", "type": "string", "required": true},
              {"name": "email", "type": "string", "unique": true},
              {"name": "n", "type": "number", "unique": true, "minimum": 0},
              {"name": "flag", "type": "boolean", "unique": true, "trueValues": ["y"], "falseValues": ["n"]}
            ]}
            """).first)
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [schema])), [schema])
        let csv = "id,email,n,flag\nA,a@x,1,y\nB,b@x,01.0,n\nA,a@x,2,\nC,NA,1e0,y\nD,,-0,NA\nE,c@x,0.00,\nF,d@x,-1,\nG,e@x,-1,\n"
        let report = try validate(csv, .csv, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "3 invalid_n Duplicate value: '1' (first seen in row 2)",
            "4 duplicate_id Duplicate id: 'A' (first seen in row 2)",
            "4 invalid_email Duplicate value: 'a@x' (first seen in row 2)",
            "5 invalid_n Duplicate value: '1' (first seen in row 2)",
            "5 invalid_flag Duplicate value: 'true' (first seen in row 2)",
            "7 invalid_n Duplicate value: '0' (first seen in row 6)",
            "8 invalid_n Value must be at least 0: '-1'",
            "9 invalid_n Value must be at least 0: '-1'",
        ])
        XCTAssertEqual(report.invalidRows, 6)
        let json = try validate(#"{"id":"A","n":1}"# + "\n" + #"{"id":"B","n":1.0,"flag":true}"# + "\n"
                                + #"{"id":"C","n":"1","flag":"y"}"# + "\n", .ndjson, schema: schema)
        XCTAssertEqual(json.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "2 invalid_n Duplicate value: '1' (first seen in row 1)",
            "3 invalid_n Duplicate value: '1' (first seen in row 1)",
            "3 invalid_flag Duplicate value: 'true' (first seen in row 2)",
        ])
        // Many rows: the same report for any thread count and window.
        var big = "id,email,n,flag\n"
        for row in 0..<6000 { big += "I\(row),e\(row % 4000)@x,\(row % 2500).\(row % 3 == 0 ? "0" : "5"),\n" }
        let expected = try validate(big, .csv, schema: schema) { $0.threads = 1 }
        XCTAssertEqual(expected.errors.count, 3500)  // 2000 emails, 1500 numbers (Python: decimal.Decimal.normalize)
        for (threads, window) in [(3, 1 << 20), (2, 7000), (3, 5000)] {
            let other = try validate(big, .csv, schema: schema) { options in
                options.threads = threads
                options.windowSize = window
                options.lineCap = 512
            }
            XCTAssertEqual(other.errors, expected.errors, "\(threads) threads, window \(window)")
            XCTAssertEqual(other.errors.map(\.value), expected.errors.map(\.value), "\(threads) threads, window \(window)")
            XCTAssertEqual(other.invalidRows, expected.invalidRows)
        }
    }

    /// An id of several columns: each part blank is `missing_id` on that part; the parts together
    /// repeat as `duplicate_id` (shown as a JSON array, which no other parts can spell), on the
    /// first part; the parts are type-checked like any column.
    func testIdsOfSeveralColumns() throws {
        let schema = try XCTUnwrap(load("""
            {"name": "t", "idField": ["store", "n"], "columns": [
              {"name": "store", "type": "string", "required": true},
              {"name": "n", "type": "integer", "required": true}, {"name": "v", "type": "string"}
            ]}
            """).first)
        XCTAssertEqual(schema.idColumns.map(\.name), ["store", "n"])
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [schema])), [schema])
        let csv = "store,n,v\nA,1,x\nA,2,x\nB,1,x\nA,1,y\n\"A,1\",,z\n\"a\"\"q\",3,\n\"a\"\"q\",3,\nC,x,\n"
        for threads in [1, 3] {
            let report = try validate(csv, .csv, schema: schema) { $0.threads = threads }
            XCTAssertEqual(report.errors.map { "\($0.row) \($0.field ?? "") \($0.code) \($0.error)" }, [
                #"5 store duplicate_id Duplicate id: '["A","1"]' (first seen in row 2)"#,
                #"6 n missing_id Missing "id" attribute"#,
                #"8 store duplicate_id Duplicate id: '["a\"q","3"]' (first seen in row 7)"#,
                "9 n invalid_n Invalid integer format: 'x'",
            ])
        }
        let json = try validate(#"{"store":"A","n":1}"# + "\n" + #"{"n":"1","store":"A"}"# + "\n" + #"{"store":"A"}"# + "\n",
                                .ndjson, schema: schema)
        XCTAssertEqual(json.errors.map { "\($0.row) \($0.code)" }, ["2 duplicate_id", "3 missing_id"])
    }

    /// Frictionless Table Schema: fields with types, formats (layouts, email), number formats,
    /// boolean spellings and constraints; `primaryKey` the id (`unique` on it says nothing more);
    /// `missingValues`; the name from the file; the specification's field examples load.
    func testTableSchema() throws {
        let text = #"""
            {
              "fields": [
                {"name": "id", "type": "integer", "constraints": {"required": true, "unique": true}},
                {"name": "email", "type": "string", "format": "email", "title": "E-mail"},
                {"name": "born", "type": "date", "format": "%d/%m/%Y"},
                {"name": "income", "type": "number", "decimalChar": ",", "groupChar": ".", "bareNumber": false,
                 "constraints": {"minimum": 0}},
                {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}", "enum": ["AB", "CD", "XY"]}},
                {"name": "ok", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]},
                {"name": "note"}
              ],
              "primaryKey": "id",
              "missingValues": ["", "-"]
            }
            """#
        let schema = try XCTUnwrap(load(text, name: "data/people.schema.json").first)
        XCTAssertEqual(schema.name, "people")
        XCTAssertEqual(schema.idColumn?.name, "id")
        XCTAssertEqual(schema.columns[6].type, .string)
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [schema])), [schema])
        let csv = "id,email,born,income,code,ok,note\n1,a@b.co,31/12/1990,\"€ 1.234,50\",AB,Y,\n"
            + "2,not-an-email,1990-12-31,-5,ABC,maybe,\n2,-,-,-,-,-,-\nx,a@b,29/02/2001,12%,ZZ,N,\n"
        let report = try validate(csv, .csv, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "3 invalid_email Invalid email: 'not-an-email'",
            "3 invalid_born Invalid date format, expected %d/%m/%Y: '1990-12-31'",
            "3 invalid_income Value must be at least 0: '-5'",
            "3 invalid_code Value must be one of 'AB', 'CD', 'XY': 'ABC'",
            "3 invalid_ok Invalid boolean: 'maybe'",
            "4 duplicate_id Duplicate id: '2' (first seen in row 3)",
            "5 invalid_id Invalid integer format: 'x'",
            "5 invalid_email Invalid email: 'a@b'",
            "5 invalid_born Invalid date: '29/02/2001'",
            "5 invalid_code Value must be one of 'AB', 'CD', 'XY': 'ZZ'",
        ])
        // YAML, a named descriptor, a primary key of two fields, a pattern that must match whole.
        let yaml = try XCTUnwrap(load("""
            name: pairs
            fields:
              - {name: a, type: string, constraints: {pattern: "[a-z]+"}}
              - {name: b, type: year}
            primaryKey: [a, b]
            """, name: "p.yaml").first)
        XCTAssertEqual(yaml.idColumns.map(\.name), ["a", "b"])
        let pairs = try validate("a,b\nx,2020\nx,2020\nxY,2021\n", .csv, schema: yaml)
        XCTAssertEqual(pairs.errors.map { "\($0.row) \($0.code)" }, ["3 duplicate_id", "4 invalid_a"])
        // The same schema on NDJSON and JSON rows: values judged on their text, as for CSV.
        let lines = [
            #"{"id":1,"email":"a@b.co","born":"31/12/1990","income":"€ 1.234,50","code":"AB","ok":"Y"}"#,
            #"{"id":"2","email":"x","born":"1990-12-31","income":-5,"code":"ABC","ok":true}"#,
            #"{"id":2,"email":"-","income":"-"}"#,
        ]
        for format in [InputFormat.ndjson, .json] {
            let text = format == .ndjson ? lines.joined(separator: "\n") + "\n" : "[" + lines.joined(separator: ",") + "]"
            let rows = try validate(text, format, schema: schema)
            XCTAssertEqual(rows.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
                "2 invalid_email Invalid email: 'x'",
                "2 invalid_born Invalid date format, expected %d/%m/%Y: '1990-12-31'",
                "2 invalid_income Value must be at least 0: '-5'",
                "2 invalid_code Value must be one of 'AB', 'CD', 'XY': 'ABC'",
                "3 duplicate_id Duplicate id: '2' (first seen in row 2)",
            ], "\(format)")
        }
        // The specification's field examples.
        XCTAssertEqual(try load(#"{"fields": [{"name": "my-field-name"}]}"#).first?.columns.map(\.type), [.string])
        XCTAssertEqual(try load(#"{"fields": [{"name": "my-field-name", "type": "number"},"#
                                + #"{"name": "my-field-name-2", "type": "string", "format": "email"}]}"#).first?.columns.count, 2)
    }

    func testTableSchemaRefusals() {
        let cases: [(String, String)] = [
            (#"{"fields":[{"name":"a"}],"foreignKeys":[]}"#, "s.json: $.foreignKeys: 'foreignKeys' is not supported by this version"),
            (#"{"fields":[{"name":"a","type":"geopoint"}]}"#,
             "s.json: $.fields[0].type: the type 'geopoint' is not supported (supported: any, boolean, date, datetime, integer, number, string, time, year)"),
            (#"{"fields":[{"name":"a","type":"date","format":"any"}]}"#,
             "s.json: $.fields[0].format: the format 'any' is not supported: name the layout (e.g. %d/%m/%Y)"),
            (#"{"fields":[{"name":"a","type":"string","format":"phone"}]}"#,
             "s.json: $.fields[0].format: the format 'phone' is not supported (use email, uri, uuid or binary)"),
            (#"{"fields":[{"name":"a","constraints":{"jsonSchema":{}}}]}"#,
             "s.json: $.fields[0].constraints.jsonSchema: 'jsonSchema' is not supported by this version"),
            (#"{"fields":[{"name":"a","type":"number","constraints":{"minimum":"x"}}]}"#,
             "s.json: $.fields[0].constraints.minimum: expected a number, found a string"),
            (#"{"fields":[{"name":"a","type":"integer","constraints":{"maxLength":2}}]}"#,
             "s.json: $.fields[0].constraints.maxLength: lengths are for text columns, not integer"),
            (#"{"fields":[{"name":"a","type":"number","decimalChar":",,"}]}"#,
             "s.json: $.fields[0].decimalChar: expected one printable ASCII character that is not a digit or sign, found ',,'"),
            (#"{"fields":[{"name":"a","colour":"red"}]}"#, "s.json: $.fields[0].colour: unknown keyword 'colour'"),
            (#"{"fields":[{"name":"a"}],"primaryKey":["b"]}"#, "s.json: $.primaryKey[0]: 'b' is not one of the fields"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(refusal(text), expected, text)
        }
    }

    /// JSON Schema for records: JSON types decide, patterns search, nested objects' properties are
    /// dot-joined columns (required only under a required parent), `additionalProperties: false`
    /// rejects other keys, `x-preflight-id` names the id, the name is the title.
    func testJSONSchema() throws {
        let text = #"""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": "records", "type": "object", "x-preflight-id": "id",
              "properties": {
                "id": {"type": "string", "pattern": "^P[0-9]+$"},
                "price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
                "qty": {"type": "integer", "minimum": 1, "maximum": 100, "exclusiveMaximum": 100},
                "email": {"type": "string", "format": "email"},
                "day": {"type": "string", "format": "date"},
                "tag": {"enum": ["a", "b"]},
                "kind": {"const": "item"},
                "name": {"type": ["string", "null"], "minLength": 2, "maxLength": 5},
                "customer": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
              },
              "required": ["id", "price", "customer"],
              "additionalProperties": false
            }
            """#
        let schema = try XCTUnwrap(load(text).first)
        XCTAssertEqual(schema.name, "records")
        XCTAssertEqual(schema.valueTyping, .json)
        XCTAssertEqual(schema.otherColumns, .reject)
        XCTAssertEqual(schema.columns.map(\.name).last, "customer.id")
        XCTAssertEqual(try load(PreflightSchemaFormat.text(of: [schema])), [schema])
        let lines = [
            #"{"id":"P1","price":9.99,"qty":3,"email":"a@b.co","day":"2026-01-01","tag":"a","kind":"item","name":"Bob","customer":{"id":"C1"}}"#,
            #"{"id":"X1","price":"9.99","qty":1.5,"email":"nope","day":"01/01/2026","tag":"c","kind":"box","name":"B","customer":{"id":5},"extra":1}"#,
            #"{"id":"P1","price":0.001,"qty":0,"name":null}"#,
            #"{"id":"P4","price":1,"qty":100,"customer":{"id":"C"}}"#,
        ]
        let report = try validate(lines.joined(separator: "\n") + "\n", .ndjson, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "2 invalid_id Value must match the pattern '^P[0-9]+$': 'X1'",
            "2 invalid_price Value must be a number: '9.99'",
            "2 invalid_qty Value must be an integer: '1.5'",
            "2 invalid_email Invalid email: 'nope'",
            "2 invalid_day Invalid date format, expected YYYY-MM-DD",
            "2 invalid_tag Value must be one of 'a', 'b': 'c'",
            "2 invalid_kind Value must be 'item': 'box'",
            "2 invalid_name Value must be at least 2 characters long: 'B'",
            "2 invalid_customer.id Value must be a string: '5'",
            "2 invalid_extra Unexpected field",
            "3 duplicate_id Duplicate id: 'P1' (first seen in row 1)",
            "3 invalid_price Value must be a multiple of 0.01: '0.001'",
            "3 invalid_qty Value must be at least 1: '0'",
            "3 missing_required_field Missing required field: customer.id",
            "4 invalid_qty Value must be less than 100: '100'",
        ])
        // An untyped property's enum and const compare a JSON number by value (SPEC: 1.0 equals 1).
        let untyped = try XCTUnwrap(load(#"{"properties": {"e": {"enum": [1, "a"]}, "c": {"const": 7}}}"#).first)
        let values = try validate(#"{"e":1.0,"c":7.00}"# + "\n" + #"{"e":"a","c":"7"}"# + "\n" + #"{"e":2,"c":8}"# + "\n",
                                  .ndjson, schema: untyped)
        XCTAssertEqual(values.errors.map { "\($0.row) \($0.code)" }, ["3 invalid_e", "3 invalid_c"])
        // The same rows as a JSON array; as CSV, cells read by JSON's number grammar.
        let array = try validate("[" + lines.joined(separator: ",\n") + "]", .json, schema: schema)
        XCTAssertEqual(array.errors.map { "\($0.row) \($0.code)" }, report.errors.map { "\($0.row) \($0.code)" })
        let csv = try validate("id,price,qty,customer.id\nP1,9.99,3,C\nP2,1e1,01,C\nP3,-1,2,\n", .csv, schema: schema)
        XCTAssertEqual(csv.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "3 invalid_qty Invalid integer format: '01'",
            "4 invalid_price Value must be greater than 0: '-1'",
            "4 missing_required_field Missing required field: customer.id",
        ])
        // draft-07 with YAML; refusals by name.
        XCTAssertEqual(try load("$schema: http://json-schema.org/draft-07/schema#\nproperties:\n  a: {type: integer}\n",
                                name: "d7.yaml").first?.columns.map(\.type), [.integer])
        let cases: [(String, String)] = [
            (##"{"properties":{"a":{"$ref":"#/$defs/x"}}}"##, "s.json: $.properties.a.$ref: '$ref' is not supported by this version"),
            (#"{"properties":{"a":{"type":"array"}}}"#, "s.json: $.properties.a.type: the type 'array' is not supported"),
            (#"{"properties":{"a":{"anyOf":[]}}}"#, "s.json: $.properties.a.anyOf: 'anyOf' is not supported by this version"),
            (#"{"properties":{"a":{"type":"string","format":"ipv4"}}}"#,
             "s.json: $.properties.a.format: the format 'ipv4' is not supported (supported: date, date-time, email, time, uri, uuid)"),
            (#"{"properties":{"a":{"type":"number","exclusiveMinimum":true}}}"#,
             "s.json: $.properties.a.exclusiveMinimum: draft-04's boolean exclusiveMinimum is not supported; give the bound"),
            (#"{"properties":{"a":{}},"required":["b"]}"#, "s.json: $.required: 'b' is required but not among the properties"),
            (#"{"type":"array","properties":{}}"#, "s.json: $.type: a record schema must have type object"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(refusal(text), expected, text)
        }
    }

    /// Piing's schema listing: what `preflight schemas` prints loads back to the built-ins; columns
    /// given by name only are typed from the catalogue, others are strings.
    func testPiingListing() throws {
        XCTAssertEqual(try load(SchemaCatalog.render(Schema.builtIn)), Schema.builtIn)
        let mine = try XCTUnwrap(load(#"""
            {"schemas": [{"schemaType": "mine", "idField": "sku", "requiredColumns": ["sku", "amount"],
              "optionalColumns": [{"name": "date"}, {"name": "note", "type": "string"}, {"name": "qty", "type": "integer"}],
              "acceptsOtherColumns": false}]}
            """#).first)
        XCTAssertEqual(mine.columns.map { "\($0.name) \($0.type.rawValue) \($0.required) \($0.mustBePositive)" },
                       ["sku string true false", "amount decimal true true", "date date false false",
                        "note string false false", "qty integer false false"])
        XCTAssertEqual(mine.otherColumns, .notice)
        XCTAssertEqual(refusal(#"{"schemas":[{"schemaType":"x","requiredColumns":[{"name":"a","constraint":"< 5"}]}]}"#),
                       "s.json: $.schemas[0].requiredColumns[0].constraint: the constraint '< 5' is not supported (only '> 0')")
    }

    /// `Schema` is `Codable` in preflight's format: JSONEncoder/JSONDecoder round trips keep it equal.
    func testSchemaIsCodable() throws {
        let orders = try XCTUnwrap(load(Self.ordersYAML, name: "s.yaml").first)
        for schema in Schema.builtIn + [orders] {
            let data = try JSONEncoder().encode(schema)
            XCTAssertEqual(try JSONDecoder().decode(Schema.self, from: data), schema, schema.name)
        }
        XCTAssertThrowsError(try JSONDecoder().decode(Schema.self, from: Data(#"{"name":"x","columns":[{"name":"a","type":"nope"}]}"#.utf8))) {
            XCTAssertEqual("\($0)", "decoded schema: $.columns[0].type: unknown type 'nope' (expected one of string, decimal, integer, number, boolean, date, datetime, time, year, any, string_or_number)")
        }
    }

    /// JSON typing (JSON Schema's rule, set in preflight's format with `valueTyping: json`): the
    /// JSON type decides; CSV cells are read by JSON's number grammar. Other columns rejected.
    func testJSONTypingAndRejectedColumns() throws {
        let schema = try XCTUnwrap(load("""
            {"name": "t", "valueTyping": "json", "otherColumns": "reject", "columns": [
              {"name": "n", "type": "integer"}, {"name": "s", "type": "string"}, {"name": "b", "type": "boolean"}
            ]}
            """).first)
        let lines = [
            #"{"n":1.0,"s":"x","b":true}"#, #"{"n":"1","s":5,"b":"true","z":1}"#, #"{"n":1e2,"s":"x","b":false,"q":{"r":null}}"#,
            #"{"n":1.5,"s":"x","b":false,"q":{"r":null}}"#,
        ]
        let report = try validate(lines.joined(separator: "\n") + "\n", .ndjson, schema: schema)
        XCTAssertEqual(report.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "2 invalid_n Value must be an integer: '1'",
            "2 invalid_s Value must be a string: '5'",
            "2 invalid_b Value must be a boolean: 'true'",
            "2 invalid_z Unexpected field",
            "3 invalid_q.r Unexpected field",
            "4 invalid_n Value must be an integer: '1.5'",
            "4 invalid_q.r Unexpected field",
        ])
        let csv = try validate("n,s,b,extra\n1.0,5,true,\n01,x,1,y\n", .csv, schema: schema)
        XCTAssertEqual(csv.errors.map { "\($0.row) \($0.code) \($0.error)" }, [
            "2 invalid_extra Unexpected field",
            "3 invalid_n Invalid integer format: '01'",
            "3 invalid_extra Unexpected field",
        ])
        XCTAssertEqual(csv.notices, [])
    }
}

/// `--schema-file` on the command line: one schema needs no `--schema`, several need one; a bad
/// schema is one line and exit 64 with nothing validated; `schemas --as preflight` loads back.
final class SchemaFileCLITests: CLITestCase {
    func testSchemaFilesOnTheCommandLine() throws {
        _ = try file("orders.yaml", SchemaFileTests.ordersYAML)
        _ = try file("data.csv", "order_id,status,amount,placed\n1,open,5,01/01/2026\n2,gone,5,01/01/2026\n")
        var outcome = try run(["validate", "data.csv", "--schema-file", "orders.yaml", "--report", "ndjson"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.stdout, #"{"row":3,"field":"status","code":"invalid_status","error":"Value must be one of 'open', 'shipped', 'no': 'gone'"}"# + "\n")

        // Several schemas: --schema picks one, its absence is a usage error.
        outcome = try run(["schemas", "--as", "preflight", "--schema-file", "orders.yaml"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        _ = try file("all.json", outcome.stdout)
        XCTAssertEqual(try SchemaFile.load(path: scratch.appendingPathComponent("all.json").path),
                       Schema.builtIn + (try SchemaFile.load(path: scratch.appendingPathComponent("orders.yaml").path)))
        outcome = try run(["validate", "data.csv", "--schema-file", "all.json"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertEqual(outcome.stderr, "preflight: all.json hold several schemas (generic_transactions, square_pos, productsup_stream, orders); pick one with --schema NAME\n")
        outcome = try run(["validate", "data.csv", "--schema-file", "all.json", "--schema", "orders", "--report", "ndjson"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        outcome = try run(["validate", "data.csv", "--schema-file", "all.json", "--schema", "nope"])
        XCTAssertEqual(outcome.stderr, "preflight: no schema named 'nope' in all.json (they hold: generic_transactions, square_pos, productsup_stream, orders)\n")

        // A bad schema: one line naming file, path and problem; exit 64; no report.
        _ = try file("bad.json", #"{"name":"x","columns":[{"name":"a","type":"integer","maximum":"ten"}]}"#)
        outcome = try run(["validate", "data.csv", "--schema-file", "bad.json", "--rejects", "r.csv"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertEqual(outcome.stdout, "")
        XCTAssertEqual(outcome.stderr, "preflight: bad.json: $.columns[0].maximum: expected a number, found a string\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("r.csv").path))
        outcome = try run(["schemas", "--as", "table", "--schema-file", "orders.yaml"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.hasSuffix("""
            orders  (id order_id; other columns: notice)
              column    type     required  rules
              order_id  integer  yes       ≥ 1
              status    string   yes       one of open, shipped, no
              amount    number   yes       > 0, ≤ 10000, multiple of 0.01
              placed    date     yes       format %d/%m/%Y
              at        time     no
              gift      boolean  no        true: yes, false: no
              code      string   no        length ≥ 3, length ≤ 5
              year      year     no        ≥ 2000
              day       date     no        < 2026-01-01
              kind      integer  no        = 7

            """), outcome.stdout)
        outcome = try run(["validate", "data.csv"])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertEqual(outcome.stderr, "preflight: name a schema: --schema NAME (see preflight schemas) or --schema-file FILE\n")
    }
}

/// `preflight infer`: types, required, enum and id from a sample; what it proposes loads back and
/// the sampled file validates against it without an error.
final class SchemaInferenceTests: CLITestCase {
    func testInferredSchemasFitTheirSample() throws {
        var csv = "id,qty,price,when,at,flag,status,note\n"
        for row in 0..<40 {
            csv += "R\(row),\(row % 7),\(row).5,2026-01-\(String(format: "%02d", row % 28 + 1)),"
                + "2026-01-07T12:00:0\(row % 10)Z,\(row % 2 == 0 ? "true" : "false"),\(["open", "shipped", "lost"][row % 3]),"
                + "\(row % 5 == 0 ? "" : "n\(row)")\n"
        }
        let csvPath = try file("sample.csv", csv)
        let schema = try SchemaInference.infer(path: csvPath, options: .init(format: .csv))
        XCTAssertEqual(schema.name, "sample")
        XCTAssertEqual(schema.idColumn?.name, "id")
        XCTAssertEqual(schema.columns.map { "\($0.name) \($0.type.rawValue) \($0.required)" }, [
            "id string true", "qty integer true", "price decimal true", "when date true", "at datetime true",
            "flag boolean true", "status string true", "note string false",
        ])
        XCTAssertEqual(schema.columns[6].constraints.enumValues, ["open", "shipped", "lost"])
        XCTAssertNil(schema.columns[7].constraints.enumValues)

        var ndjson = ""
        for row in 0..<30 {
            ndjson += #"{"sku":"S\#(row)","n":\#(row),"tags":["a"],"c":{"id":"C\#(row % 3)"}\#(row % 4 == 0 ? "" : #","opt":1.5"#)}"# + "\n"
        }
        _ = try file("sample.ndjson", ndjson)
        _ = try file("sample.json", "[" + ndjson.split(separator: "\n").joined(separator: ",\n") + "]")
        for name in ["sample.csv", "sample.ndjson", "sample.json"] {
            let outcome = try run(["infer", name])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            _ = try file("inferred.json", outcome.stdout)
            let check = try run(["validate", name, "--schema-file", "inferred.json", "--report", "ndjson"])
            XCTAssertEqual(check.status, 0, name + ": " + check.stdout + check.stderr)
            XCTAssertEqual(check.stdout, "", name)
        }
        let inferred = try SchemaInference.infer(path: scratch.appendingPathComponent("sample.ndjson").path,
                                                 options: .init(format: .ndjson))
        XCTAssertEqual(inferred.columns.map { "\($0.name) \($0.type.rawValue) \($0.required)" }, [
            "sku string true", "n integer true", "tags string true", "c.id string true", "opt decimal false",
        ])
        XCTAssertEqual(inferred.columns[3].constraints.enumValues, ["C0", "C1", "C2"])
        XCTAssertEqual(inferred.idColumn?.name, "sku")
    }
}
