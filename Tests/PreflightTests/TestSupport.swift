import Foundation
import XCTest
@testable import Preflight

/// Where the copied third-party suites live (next to this folder, so no bundle resources needed).
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// An error reduced to what tests compare: (row, line, field, code).
struct Located: Equatable, CustomStringConvertible {
    let row: Int
    let line: Int
    let field: String?
    let code: String

    init(_ row: Int, _ line: Int, _ field: String?, _ code: String) {
        self.row = row
        self.line = line
        self.field = field
        self.code = code
    }

    var description: String { "(\(row), \(line), \(field ?? "-"), \(code))" }
}

func validate(_ text: String, _ format: InputFormat, schema: Schema = .genericTransactions,
              configure: (inout ValidationOptions) -> Void = { _ in }) throws -> ValidationReport {
    try validate(bytes: Array(text.utf8), format, schema: schema, configure: configure)
}

func validate(bytes: [UInt8], _ format: InputFormat, schema: Schema = .genericTransactions,
              configure: (inout ValidationOptions) -> Void = { _ in }) throws -> ValidationReport {
    var options = ValidationOptions(schema: schema, format: format)
    options.maxErrors = 0
    configure(&options)
    return try Validator.validate(bytes: bytes, name: "test.\(format.rawValue)", options: options)
}

extension ValidationReport {
    var located: [Located] { errors.map { Located($0.row, $0.line, $0.field, $0.code) } }
    var codes: [String] { errors.map(\.code) }
}

/// A generic_transactions CSV header and a valid data line to build cases from.
let csvHeader = "transaction_id,amount,date,store_id"

/// Asserts a report's errors, in order, as (row, line, field, code).
func assertErrors(_ report: ValidationReport, _ expected: [Located], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(report.located, expected, file: file, line: line)
}
