import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// JSONTestSuite's parsing tests, each file fed whole to the JSON reader.
final class JSONSuiteTests: XCTestCase {
    private func suiteFiles(prefix: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = fixturesDirectory.appendingPathComponent("JSONTestSuite/test_parsing")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
            .map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    private static let wrongShape = "File is not a valid JSON: expected an array of objects"

    /// Every `y_` file passes the syntax check; a wrong top-level shape may be reported as such.
    func testAcceptedFilesPassTheSyntaxCheck() throws {
        let files = try suiteFiles(prefix: "y_")
        XCTAssertEqual(files.count, 95)
        for (name, bytes) in files {
            let report = try validate(bytes: bytes, .json, schema: .productsupStream)
            for issue in report.errors where issue.code == "invalid_file" {
                XCTAssertTrue(issue.error.hasPrefix(Self.wrongShape), "\(name): \(issue.error)")
            }
            XCTAssertFalse(report.codes.contains("syntax_error"), name)
        }
    }

    /// Every `n_` file is a syntax error of the document (`invalid_file`, 0 rows), never a crash;
    /// those with no content at all are `empty_payload`.
    func testRejectedFilesAreSyntaxErrors() throws {
        let files = try suiteFiles(prefix: "n_")
        XCTAssertEqual(files.count, 188)
        for (name, bytes) in files {
            let report = try validate(bytes: bytes, .json, schema: .productsupStream)
            let content = Bytes.hasBOM(bytes.withUnsafeBytes { $0 }) ? Array(bytes.dropFirst(3)) : bytes
            if content.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
                XCTAssertEqual(report.codes, ["empty_payload"], name)
                continue
            }
            XCTAssertEqual(report.codes, ["invalid_file"], name)
            XCTAssertFalse(report.errors.first?.error.hasPrefix(Self.wrongShape) ?? true,
                           "\(name): \(report.errors.first?.error ?? "")")
            XCTAssertEqual(report.totalRows, 0, name)
            XCTAssertEqual(report.status, .failed, name)
        }
    }

    /// Whatever the suite holds, in any format, the validator answers with a report.
    func testEverySuiteFileInEveryFormatGivesAReport() throws {
        for (name, bytes) in try suiteFiles(prefix: "") {
            for format in InputFormat.allCases {
                let report = try validate(bytes: bytes, format, schema: .productsupStream)
                XCTAssertEqual(report.validRows + report.invalidRows, report.totalRows, "\(name) as \(format)")
            }
        }
    }
}
