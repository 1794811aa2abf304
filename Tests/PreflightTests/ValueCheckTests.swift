import XCTest
@_spi(Fuzzing) @_spi(Tuning) @_spi(CommandLine) @testable import Preflight

final class ValueCheckTests: XCTestCase {
    private func check<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        Array(text.utf8).withUnsafeBytes(body)
    }

    func testDecimal() {
        for good in ["0", "1", "12.50", "+1.5", "-0.01", "007", "123456789012345678901234567890.1"] {
            XCTAssertTrue(check(good, ValueChecks.isDecimal), good)
        }
        for bad in ["", " 1", "1 ", "1,000.00", "1e5", ".5", "5.", "+", "-", "1.2.3", "$5", "1_000", "abc", "0x10", "١"] {
            XCTAssertFalse(check(bad, ValueChecks.isDecimal), bad)
        }
    }

    func testPositive() {
        for positive in ["1", "0.01", "+3", "10.00"] { XCTAssertTrue(check(positive, ValueChecks.isPositiveDecimal), positive) }
        for notPositive in ["0", "0.00", "-5.00", "+0", "-0.0"] {
            XCTAssertFalse(check(notPositive, ValueChecks.isPositiveDecimal), notPositive)
        }
    }

    func testInteger() {
        for good in ["0", "42", "-3", "+7"] { XCTAssertTrue(check(good, ValueChecks.isInteger), good) }
        for bad in ["2.5", "", " 1", "1e5", "+", "1,000", "1.0"] { XCTAssertFalse(check(bad, ValueChecks.isInteger), bad) }
    }

    func testDate() {
        XCTAssertEqual(check("2024-02-29", ValueChecks.checkDate), .valid)
        XCTAssertEqual(check("2000-02-29", ValueChecks.checkDate), .valid)
        XCTAssertEqual(check("0000-01-01", ValueChecks.checkDate), .valid)
        XCTAssertEqual(check("9999-12-31", ValueChecks.checkDate), .valid)
        XCTAssertEqual(check("2026-02-29", ValueChecks.checkDate), .notReal)
        XCTAssertEqual(check("1900-02-29", ValueChecks.checkDate), .notReal)
        XCTAssertEqual(check("2026-13-01", ValueChecks.checkDate), .notReal)
        XCTAssertEqual(check("2026-00-10", ValueChecks.checkDate), .notReal)
        XCTAssertEqual(check("2026-04-31", ValueChecks.checkDate), .notReal)
        XCTAssertEqual(check("2026-01-00", ValueChecks.checkDate), .notReal)
        for bad in ["2026-1-01", "26-01-01", "2026/01/01", " 2026-01-01", "2026-01-01 ", "2026-01-01T00:00:00Z", "",
                    "20260101", "2026-01-0a"] {
            XCTAssertEqual(check(bad, ValueChecks.checkDate), .badFormat, bad)
        }
    }

    func testDatetime() {
        for good in ["2026-01-07T12:00:00Z", "2026-01-07T12:00:00", "2026-01-07T12:00:00.123Z", "2026-01-07T23:59:59+05:30",
                     "2026-01-07T00:00:00-08:00", "2026-01-07", "2024-02-29T01:02:03.5"] {
            XCTAssertEqual(check(good, ValueChecks.checkDatetime), .valid, good)
        }
        for unreal in ["2026-01-07T24:00:00Z", "2026-01-07T12:60:00Z", "2026-01-07T12:00:60Z", "2026-02-29T12:00:00Z",
                       "2026-01-07T12:00:00+24:00", "2026-13-07"] {
            XCTAssertEqual(check(unreal, ValueChecks.checkDatetime), .notReal, unreal)
        }
        for bad in ["2026-01-07 12:00:00", "2026-01-07t12:00:00z", "2026-01-07T12:00", "2026-01-07T12:00:00.",
                    "2026-01-07T12:00:00+0530", "2026-01-07T12:00:00 Z", "2026-01-07T12:00:00ZZ", "x"] {
            XCTAssertEqual(check(bad, ValueChecks.checkDatetime), .badFormat, bad)
        }
    }

    func testControlCharacters() {
        XCTAssertFalse(check("a\tb", ValueChecks.hasControlCharacter))
        XCTAssertFalse(check("a\nb", ValueChecks.hasControlCharacter))
        XCTAssertFalse(check("a\r\nb", ValueChecks.hasControlCharacter))
        XCTAssertTrue(check("a\rb", ValueChecks.hasControlCharacter))
        XCTAssertTrue(check("a\r", ValueChecks.hasControlCharacter))
        XCTAssertTrue(check("a\u{0}b", ValueChecks.hasControlCharacter))
        XCTAssertTrue(check("\u{1F}", ValueChecks.hasControlCharacter))
    }

    /// Values seen through the rules: a column's type decides the error code and message.
    func testTypeProblemsThroughTheRules() throws {
        let report = try validate("""
            \(csvHeader),items,tax
            T1, 1,2024-02-29,S1,2.5,1e5
            T2,"1,000.00",2026-02-29,S1,+3,.5
            T3,5.,2026-13-01,S1,,5.
            T4,0,2024-1-1,S1,7,
            """, .csv)
        XCTAssertEqual(report.located, [
            Located(2, 2, "amount", "invalid_amount"), Located(2, 2, "items", "invalid_items"),
            Located(2, 2, "tax", "invalid_tax"),
            Located(3, 3, "amount", "invalid_amount"), Located(3, 3, "date", "invalid_date"),
            Located(3, 3, "tax", "invalid_tax"),
            Located(4, 4, "amount", "invalid_amount"), Located(4, 4, "date", "invalid_date"),
            Located(4, 4, "tax", "invalid_tax"),
            Located(5, 5, "amount", "invalid_amount"), Located(5, 5, "date", "invalid_date"),
        ])
        XCTAssertEqual(report.errors.map(\.error), [
            "Invalid number format: ' 1'", "Invalid integer format: '2.5'", "Invalid number format: '1e5'",
            "Invalid number format: '1,000.00'", "Invalid date: '2026-02-29'", "Invalid number format: '.5'",
            "Invalid number format: '5.'", "Invalid date: '2026-13-01'", "Invalid number format: '5.'",
            "Value must be positive: '0'", "Invalid date format, expected YYYY-MM-DD",
        ])
    }
}
