import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The Piing report, byte for byte (SPEC §6).
final class PiingReportTests: XCTestCase {
    func testValidShape() throws {
        let report = try validate("\(csvHeader)\nT1,1,2024-01-01,S\n", .csv)
        XCTAssertEqual(PiingReport.render(report), """
            {"status":"valid","message":"File validated successfully",\
            "validationSummary":{"totalRows":1,"preflightValidatedRows":1,"validRows":1,"invalidRows":0,"preflightErrors":[]},\
            "errorSummary":{"totalErrors":0,"errorTypes":{}},"notices":[],\
            "file":{"name":"test.csv","format":"csv","sizeBytes":54,"schemaType":"generic_transactions"}}
            """)
    }

    func testWarningsShape() throws {
        let report = try validate("\(csvHeader)\n\"T\n1\",abc,2024-01-01,S\n", .csv)
        XCTAssertEqual(PiingReport.render(report), """
            {"status":"warnings","message":"File validated with warnings",\
            "validationSummary":{"totalRows":1,"preflightValidatedRows":1,"validRows":0,"invalidRows":1,\
            "preflightErrors":[{"row":2,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'abc'"}]},\
            "errorSummary":{"totalErrors":1,"errorTypes":{"invalid_amount":1}},"notices":[],\
            "file":{"name":"test.csv","format":"csv","sizeBytes":59,"schemaType":"generic_transactions"}}
            """)
        XCTAssertEqual(report.status, .warnings)
    }

    func testFailedShapeWithLineAndNotices() throws {
        let report = try validate("\u{FEFF}transaction_id,amount,date,x\n\"T\n1\",abc,2024-01-01,\"q\"\"\"\n", .csv)
        XCTAssertEqual(PiingReport.render(report), """
            {"status":"failed","error":"validation_failed","error_description":"Pre-flight validation failed",\
            "validationErrors":[{"row":1,"code":"missing_required_column","error":"Missing required column: store_id"},\
            {"row":2,"field":"amount","code":"invalid_amount","error":"Invalid number format: 'abc'"}],\
            "validationSummary":{"totalRows":1,"preflightValidatedRows":1,"validRows":0,"invalidRows":1},\
            "errorSummary":{"totalErrors":2,"errorTypes":{"invalid_amount":1,"missing_required_column":1}},\
            "notices":[{"code":"bom_present","message":"File starts with a UTF-8 byte order mark; remove it before upload"},\
            {"code":"unknown_column","message":"Unknown column: x","row":1}],\
            "file":{"name":"test.csv","format":"csv","sizeBytes":59,"schemaType":"generic_transactions"}}
            """)
        XCTAssertEqual(report.status, .failed)
    }

    func testLineIsListedWhenItDiffersFromRow() throws {
        let report = try validate("[\n{\"id\":1},\n{\"id\":1}]", .json, schema: .productsupStream)
        XCTAssertTrue(PiingReport.render(report).contains(
            #"{"row":2,"line":3,"field":"id","code":"duplicate_id","error":"Duplicate id: '1' (first seen in row 1)"}"#))
    }

    func testMessagesAreEscapedAndLongValuesCut() throws {
        let long = String(repeating: "é", count: 150)
        let report = try validate("\(csvHeader)\nT1,\"a\"\"\\\(long)\",2024-01-01,S\n", .csv)
        let rendered = PiingReport.render(report)
        let expectedValue = "a\\\"\\\\" + String(repeating: "é", count: 98) + "…"
        XCTAssertTrue(rendered.contains("\"error\":\"Invalid number format: '\(expectedValue)'\""), rendered)
    }

    func testSchemaCatalog() {
        let text = SchemaCatalog.render(Schema.builtIn)
        XCTAssertTrue(text.hasPrefix(#"{"schemas":[{"schemaType":"generic_transactions","idField":"transaction_id","requiredColumns":[{"name":"transaction_id","type":"string"},{"name":"amount","type":"decimal","constraint":"> 0"}"#), text)
        XCTAssertTrue(text.contains(#"{"schemaType":"productsup_stream","idField":"id","requiredColumns":[{"name":"id","type":"string_or_number"}],"optionalColumns":[],"acceptsOtherColumns":true}"#), text)
    }
}
