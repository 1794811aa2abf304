import Foundation
import XCTest
@_spi(Fuzzing) @_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Numbers compared exactly on their text (bounds, `multipleOf`, numeric `enum`), checked against
/// Foundation's `Decimal` on random values, and date layouts.
final class DecimalTextTests: XCTestCase {
    private func view(_ text: String, _ body: (DecimalView?, UnsafeRawBufferPointer) -> Void) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { body(DecimalView(UnsafeRawBufferPointer($0)), UnsafeRawBufferPointer($0)) }
    }

    private func compare(_ left: String, _ right: String) -> Int? {
        guard let right = DecimalText(right) else { return nil }
        var result: Int?
        view(left) { view, text in result = view?.compare(in: text, to: right) }
        return result
    }

    private func isMultiple(_ value: String, of step: String) -> Bool? {
        guard let step = DecimalText(step) else { return nil }
        var result: Bool?
        view(value) { view, text in result = view?.isMultiple(in: text, of: step) }
        return result
    }

    func testExactComparisons() {
        XCTAssertEqual(compare("0.1", "0.10"), 0)
        XCTAssertEqual(compare("-0", "0"), 0)
        XCTAssertEqual(compare("+007.50", "7.5"), 0)
        XCTAssertEqual(compare("1e3", "1000"), 0)
        XCTAssertEqual(compare("1E-3", "0.001"), 0)
        XCTAssertEqual(compare("10000.001", "10000"), 1)
        XCTAssertEqual(compare("-2", "-10"), 1)
        XCTAssertEqual(compare("0.30000000000000000001", "0.3"), 1)
        XCTAssertEqual(compare("99999999999999999999999999999999", "1e31"), 1)
        XCTAssertNil(compare("1.2.3", "1"))
        XCTAssertNil(compare("e5", "1"))
        XCTAssertEqual(isMultiple("1.25", of: "0.25"), true)
        XCTAssertEqual(isMultiple("1.234", of: "0.01"), false)
        XCTAssertEqual(isMultiple("0", of: "7"), true)
        XCTAssertEqual(isMultiple("1e20", of: "3"), false)
        XCTAssertEqual(isMultiple("3e20", of: "3"), true)
        XCTAssertEqual(isMultiple("5", of: "10"), false)
        XCTAssertEqual(isMultiple("-0.5", of: "0.25"), true)
        XCTAssertEqual(DecimalText("-0012.500e1")?.plainText, "-125")
        XCTAssertEqual(DecimalText("0.00120")?.plainText, "0.0012")
    }

    /// Random values against `Decimal`: the order and `multipleOf` of each pair agree.
    func testRandomValuesAgreeWithFoundationDecimal() {
        var generator = SystemRandomNumberGenerator()
        func randomText() -> String {
            let digits = (0..<Int.random(in: 1...12, using: &generator)).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            var text = Bool.random(using: &generator) ? "-" : ""
            let point = Int.random(in: 0...digits.count, using: &generator)
            text += point == 0 ? "0" : String(digits.prefix(point))
            if point < digits.count { text += "." + digits.dropFirst(point) }
            if Int.random(in: 0..<4, using: &generator) == 0 { text += "e" + String(Int.random(in: -6...6, using: &generator)) }
            return text
        }
        for _ in 0..<5000 {
            let left = randomText(), right = randomText()
            let a = Decimal(string: left)!, b = Decimal(string: right)!
            XCTAssertEqual(compare(left, right), a < b ? -1 : (a == b ? 0 : 1), "\(left) vs \(right)")
            guard b != 0 else { continue }
            var quotient = a / b
            var whole = Decimal()
            NSDecimalRound(&whole, &quotient, 0, .down)
            let expected = whole * b == a
            XCTAssertEqual(isMultiple(left, of: right.hasPrefix("-") ? String(right.dropFirst()) : right), expected,
                           "\(left) multiple of \(right)")
        }
    }

    func testDateLayouts() throws {
        func check(_ layout: String, _ value: String) throws -> ValueChecks.Temporal {
            let pattern = try DatePattern(layout)
            var bytes = Array(value.utf8)
            return bytes.withUnsafeMutableBytes { pattern.check(UnsafeRawBufferPointer($0)) }
        }
        XCTAssertEqual(try check("%d/%m/%Y", "29/02/2024"), .valid)
        XCTAssertEqual(try check("%d/%m/%Y", "29/02/2026"), .notReal)
        XCTAssertEqual(try check("%d/%m/%Y", "1/1/2026"), .valid)
        XCTAssertEqual(try check("%d/%m/%Y", "2026-01-01"), .badFormat)
        XCTAssertEqual(try check("%d/%m/%y", "29/02/00"), .valid)  // 2000: a leap year
        XCTAssertEqual(try check("%Y-%m-%dT%H:%M:%S%z", "2026-01-07T12:00:00+01:00"), .valid)
        XCTAssertEqual(try check("%Y-%m-%dT%H:%M:%S%z", "2026-01-07T24:00:00Z"), .notReal)
        XCTAssertEqual(try check("%H:%M", "23:59"), .valid)
        XCTAssertEqual(try check("%H:%M", "23:59:00"), .badFormat)
        XCTAssertEqual(try check("%Y%%%m", "2026%13"), .notReal)
        XCTAssertThrowsError(try DatePattern("%d %B %Y"))
    }
}
