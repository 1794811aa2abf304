import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Every input a fuzzer once stopped on, run again in every format: each gives a report, or the
/// one-line refusal of an input preflight cannot read (gzip), never a crash.
final class FuzzRegressionTests: XCTestCase {
    func testSavedFuzzInputs() throws {
        let directory = fixturesDirectory.appendingPathComponent("fuzz-regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            for format in InputFormat.allCases {
                do {
                    let report = try validate(bytes: bytes, format, schema: .productsupStream)
                    XCTAssertEqual(report.validRows + report.invalidRows, report.totalRows, "\(name) as \(format)")
                } catch {
                    XCTAssertTrue((error as? PreflightError)?.isInputUnreadable == true, "\(name) as \(format): \(error)")
                }
            }
        }
    }

    /// The first one: gzip's magic bytes then `{` (found by the NDJSON target): not valid gzip.
    func testGzipMagicIsRefusedInEveryFormat() throws {
        for format in InputFormat.allCases {
            XCTAssertThrowsError(try validate(bytes: [0x1F, 0x8B, 0x7B], format)) { error in
                XCTAssertTrue("\(error)".contains("not valid gzip data"), "\(error)")
            }
        }
    }
}
