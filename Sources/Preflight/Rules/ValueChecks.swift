/// Byte-level checks of typed values (SPEC §4, §9 "Types"). No Foundation, no floating point:
/// a value is judged on its literal text.
/// `@_spi(Fuzzing)`: the fuzz harness calls these checks directly; they are not part of the library's API.
@_spi(Fuzzing) public enum ValueChecks {
    /// Outcome of a date or datetime check.
    public enum Temporal: Equatable {
        case valid
        /// The text does not have the expected shape.
        case badFormat
        /// The shape is right but the date or time does not exist (2026-02-30, 25:00:00).
        case notReal
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// `[+-]?digits`
    public static func isInteger(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = text.count
        if count > 0, text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") { index = 1 }
        if index == count { return false }
        while index < count {
            if !isDigit(text[index]) { return false }
            index += 1
        }
        return true
    }

    /// `[+-]?digits[.digits]`
    public static func isDecimal(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = text.count
        if count > 0, text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") { index = 1 }
        let integerStart = index
        while index < count, isDigit(text[index]) { index += 1 }
        if index == integerStart { return false }
        if index == count { return true }
        guard text[index] == UInt8(ascii: ".") else { return false }
        index += 1
        let fractionStart = index
        while index < count, isDigit(text[index]) { index += 1 }
        return index > fractionStart && index == count
    }

    /// For a text that `isDecimal` accepts: whether its value is greater than zero.
    public static func isPositiveDecimal(_ text: UnsafeRawBufferPointer) -> Bool {
        if text.first == UInt8(ascii: "-") { return false }
        for byte in text where byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return true }
        return false
    }

    /// Value of `count` ASCII digits at `offset`, or nil if any byte is not a digit.
    @inline(__always)
    private static func number(_ text: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> Int? {
        var value = 0
        for index in offset..<(offset + count) {
            let byte = text[index]
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte &- 0x30)
        }
        return value
    }

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The first 10 bytes as `YYYY-MM-DD`.
    private static func datePart(_ text: UnsafeRawBufferPointer) -> Temporal {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
              let year = number(text, 0, 4), let month = number(text, 5, 2), let day = number(text, 8, 2)
        else { return .badFormat }
        guard month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year) else { return .notReal }
        return .valid
    }

    /// What may follow a time's seconds, up to the text's end: an optional `.fraction`, then an
    /// optional zone `Z` or `±hh:mm`. nil when the text does not end that way; else whether the
    /// zone is a real one (hours ≤ 23, minutes ≤ 59).
    private static func fractionAndZoneEnd(_ text: UnsafeRawBufferPointer, from start: Int) -> Bool? {
        var index = start
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            while index < text.count, isDigit(text[index]) { index += 1 }
            if index == digits { return nil }
        }
        guard index < text.count else { return true }
        if text[index] == UInt8(ascii: "Z") { return index + 1 == text.count ? true : nil }
        guard text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-"), text.count - index == 6,
              text[index + 3] == UInt8(ascii: ":"),
              let zoneHour = number(text, index + 1, 2), let zoneMinute = number(text, index + 4, 2)
        else { return nil }
        return zoneHour <= 23 && zoneMinute <= 59
    }

    /// `YYYY-MM-DD`, years 0000–9999, proleptic Gregorian.
    public static func checkDate(_ text: UnsafeRawBufferPointer) -> Temporal {
        guard text.count == 10 else { return .badFormat }
        return datePart(text)
    }

    /// A plain date, or `YYYY-MM-DDThh:mm:ss` with an optional `.fraction` and an optional zone
    /// `Z` or `±hh:mm` (upper-case `T` and `Z`; seconds required; no second 60).
    public static func checkDatetime(_ text: UnsafeRawBufferPointer) -> Temporal {
        if text.count == 10 { return datePart(text) }
        guard text.count >= 19, text[10] == UInt8(ascii: "T"), text[13] == UInt8(ascii: ":"),
              text[16] == UInt8(ascii: ":"),
              let hour = number(text, 11, 2), let minute = number(text, 14, 2), let second = number(text, 17, 2)
        else { return .badFormat }
        guard let zoneIsReal = fractionAndZoneEnd(text, from: 19) else { return .badFormat }
        let date = datePart(text)
        if date != .valid { return date }
        guard hour <= 23, minute <= 59, second <= 59, zoneIsReal else { return .notReal }
        return .valid
    }

    /// JSON's number grammar: `-?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?`.
    public static func isJSONNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = text.count
        if index < count, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count, isDigit(text[index]) else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < count, isDigit(text[index]) { index += 1 }
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count, isDigit(text[index]) { index += 1 }
            if index == start { return false }
        }
        return exponentEnds(text, at: index)
    }

    /// A JSON number whose value is whole (`1`, `1.0`, `1e3`, `2.50e1`), as JSON Schema's `integer`.
    public static func isJSONInteger(_ text: UnsafeRawBufferPointer) -> Bool {
        guard isJSONNumber(text), let view = DecimalView(text) else { return false }
        if view.isZero { return true }
        var digits = 0
        view.forEachDigit(in: text) { _ in digits += 1 }
        return view.exponent >= digits
    }

    /// Table Schema's `number` (XML Schema's decimal with an optional exponent): `[+-]?` digits with
    /// an optional `.` and fraction (digits on one side at least), an optional exponent, or `NaN`,
    /// `INF`, `-INF`.
    public static func isNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        if isSpecialNumber(text) { return true }
        var index = 0
        let count = text.count
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < count, isDigit(text[index]) {
            index += 1
            digits += 1
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, isDigit(text[index]) {
                index += 1
                digits += 1
            }
        }
        return digits > 0 && exponentEnds(text, at: index)
    }

    /// `NaN`, `INF`, `-INF` (Table Schema numbers without a place on the number line).
    static func isSpecialNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        text.elementsEqual("NaN".utf8) || text.elementsEqual("INF".utf8) || text.elementsEqual("-INF".utf8)
    }

    /// Whether the text ends at `index`, or after an exponent `[eE][+-]?digits` there.
    private static func exponentEnds(_ text: UnsafeRawBufferPointer, at start: Int) -> Bool {
        var index = start
        let count = text.count
        if index == count { return true }
        guard text[index] | 0x20 == UInt8(ascii: "e") else { return false }
        index += 1
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
        let digits = index
        while index < count, isDigit(text[index]) { index += 1 }
        return index > digits && index == count
    }

    /// `YYYY`: four digits (Table Schema's `year`).
    public static func isYear(_ text: UnsafeRawBufferPointer) -> Bool {
        text.count == 4 && text.allSatisfy(isDigit)
    }

    /// `hh:mm:ss` with an optional `.fraction` and an optional zone `Z` or `±hh:mm`.
    public static func checkTime(_ text: UnsafeRawBufferPointer) -> Temporal {
        guard text.count >= 8, text[2] == UInt8(ascii: ":"), text[5] == UInt8(ascii: ":"),
              let hour = number(text, 0, 2), let minute = number(text, 3, 2), let second = number(text, 6, 2)
        else { return .badFormat }
        guard let zoneIsReal = fractionAndZoneEnd(text, from: 8) else { return .badFormat }
        return hour <= 23 && minute <= 59 && second <= 59 && zoneIsReal ? .valid : .notReal
    }

    /// The significant digits of a number read exactly (for the fuzz harness: every text the
    /// number grammars accept must be readable); nil when it is not a number.
    public static func decimalDigits(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let view = DecimalView(text) else { return nil }
        var digits: [UInt8] = []
        view.forEachDigit(in: text) { digits.append($0) }
        return digits
    }

    /// Unicode scalars in UTF-8 text (every byte that does not continue a sequence starts one).
    public static func scalarCount(_ text: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for byte in text where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Whether a CSV value holds a raw control character: U+0000–U+001F other than tab, where LF
    /// and CRLF are allowed (they can only come from a quoted field) and a lone CR is not.
    public static func hasControlCharacter(_ text: UnsafeRawBufferPointer) -> Bool {
        let count = text.count
        var index = 0
        while index < count {
            let byte = text[index]
            if byte < 0x20, byte != 0x09, byte != 0x0A {
                if byte == 0x0D, index + 1 < count, text[index + 1] == 0x0A {
                    index += 2
                    continue
                }
                return true
            }
            index += 1
        }
        return false
    }

    /// Absent for a required field: empty, or only U+0020 spaces.
    public static func isBlank(_ text: UnsafeRawBufferPointer) -> Bool {
        for byte in text where byte != 0x20 { return false }
        return true
    }
}
