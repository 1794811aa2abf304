import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The code table is the one source of the catalogue: the README shows it word for word, every
/// code the rules can emit is in it, and `preflight codes` prints it.
final class CodeTableTests: CLITestCase {
    private let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    func testTheREADMEShowsTheCodeTable() throws {
        let text = try String(contentsOf: readme, encoding: .utf8)
        XCTAssertTrue(text.contains(IssueCode.markdownTable() + "\n"), "README's Error catalogue differs from `preflight codes`")
    }

    func testEveryCodeIsInTheCatalogueOnce() {
        let listed = Set(IssueCode.catalogue.map(\.code))
        XCTAssertEqual(listed, Set(IssueCode.allCases))
        for code in IssueKind.fixedCodes { XCTAssertNotNil(IssueCode(rawValue: code), code) }
        XCTAssertEqual(IssueCode.catalogue.filter { $0.code != .invalidColumn }.count, IssueCode.allCases.count - 1)
    }

    func testTheCodesCommand() throws {
        let markdown = try run(["codes"])
        XCTAssertEqual(markdown.status, 0)
        XCTAssertEqual(markdown.stdout, IssueCode.markdownTable() + "\n")
        let json = try run(["codes", "--as", "json"])
        XCTAssertEqual(json.status, 0)
        let entries = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        XCTAssertEqual(entries?.count, IssueCode.catalogue.count)
        XCTAssertEqual(entries?.first?["code"], "empty_payload")
        XCTAssertEqual(entries?.last?["level"], "notice")
    }
}
