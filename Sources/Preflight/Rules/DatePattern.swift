/// A date, datetime or time layout in `strptime` directives, as Table Schema's `format`
/// (`%d/%m/%Y`, `%Y-%m-%dT%H:%M:%S%z`), compiled once and matched byte by byte. Directives:
/// `%Y` (four digits), `%y` (two: 69–99 are 19xx, 00–68 20xx), `%m`, `%d`, `%H`, `%M`, `%S` (one
/// or two digits, as `strptime` reads them), `%f` (1–6 fraction digits), `%z` (`Z`, `±hh:mm` or
/// `±hhmm`), `%%`; any other byte stands for itself.
struct DatePattern: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case literal(UInt8)
        case year4, year2, month, day, hour, minute, second, fraction, zone
    }

    let tokens: [Token]
    /// The layout as written, for messages.
    let text: String

    /// The directive a layout uses that is not supported, if any (the loaders refuse it by name).
    enum Failure: Error, Equatable {
        case unsupported(String)
    }

    init(_ text: String) throws(Failure) {
        var tokens: [Token] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                tokens.append(.literal(byte))
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw .unsupported("%") }
            switch bytes[index + 1] {
            case UInt8(ascii: "Y"): tokens.append(.year4)
            case UInt8(ascii: "y"): tokens.append(.year2)
            case UInt8(ascii: "m"): tokens.append(.month)
            case UInt8(ascii: "d"): tokens.append(.day)
            case UInt8(ascii: "H"): tokens.append(.hour)
            case UInt8(ascii: "M"): tokens.append(.minute)
            case UInt8(ascii: "S"): tokens.append(.second)
            case UInt8(ascii: "f"): tokens.append(.fraction)
            case UInt8(ascii: "z"): tokens.append(.zone)
            case UInt8(ascii: "%"): tokens.append(.literal(UInt8(ascii: "%")))
            default: throw .unsupported("%" + String(decoding: [bytes[index + 1]], as: UTF8.self))
            }
            index += 2
        }
        self.tokens = tokens
        self.text = text
    }

    /// Whether the layout names a year, a month and a day (a date or datetime layout must).
    var hasDate: Bool { [Token.month, .day].allSatisfy(tokens.contains) && (tokens.contains(.year4) || tokens.contains(.year2)) }
    /// Whether the layout names an hour (a time layout must).
    var hasTime: Bool { tokens.contains(.hour) }

    /// Matches the whole value: `.badFormat` when it does not have the layout, `.notReal` when
    /// it does but names no real date or time (2026-02-30, 25:00).
    func check(_ text: UnsafeRawBufferPointer) -> ValueChecks.Temporal {
        var index = 0
        var year: Int?, month: Int?, day: Int?
        var hour = 0, minute = 0, second = 0
        var zoneIsReal = true
        func digits(_ minimum: Int, _ maximum: Int) -> Int? {
            var value = 0
            var count = 0
            while count < maximum, index < text.count, text[index] &- 0x30 < 10 {
                value = value * 10 + Int(text[index] &- 0x30)
                index += 1
                count += 1
            }
            return count >= minimum ? value : nil
        }
        for token in tokens {
            switch token {
            case .literal(let byte):
                guard index < text.count, text[index] == byte else { return .badFormat }
                index += 1
            case .year4:
                guard let value = digits(4, 4) else { return .badFormat }
                year = value
            case .year2:
                guard let value = digits(2, 2) else { return .badFormat }
                year = value >= 69 ? 1900 + value : 2000 + value
            case .month:
                guard let value = digits(1, 2) else { return .badFormat }
                month = value
            case .day:
                guard let value = digits(1, 2) else { return .badFormat }
                day = value
            case .hour:
                guard let value = digits(1, 2) else { return .badFormat }
                hour = value
            case .minute:
                guard let value = digits(1, 2) else { return .badFormat }
                minute = value
            case .second:
                guard let value = digits(1, 2) else { return .badFormat }
                second = value
            case .fraction:
                guard digits(1, 6) != nil else { return .badFormat }
            case .zone:
                guard index < text.count else { return .badFormat }
                if text[index] == UInt8(ascii: "Z") {
                    index += 1
                    continue
                }
                guard text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") else { return .badFormat }
                index += 1
                guard let zoneHour = digits(2, 2) else { return .badFormat }
                if index < text.count, text[index] == UInt8(ascii: ":") { index += 1 }
                guard let zoneMinute = digits(2, 2) else { return .badFormat }
                zoneIsReal = zoneHour <= 23 && zoneMinute <= 59
            }
        }
        guard index == text.count else { return .badFormat }
        if let month {
            guard month >= 1, month <= 12 else { return .notReal }
            if let day {
                guard day >= 1, day <= ValueChecks.daysIn(month: month, year: year ?? 2000) else { return .notReal }
            }
        } else if let day, day < 1 || day > 31 {
            return .notReal
        }
        guard hour <= 23, minute <= 59, second <= 59, zoneIsReal else { return .notReal }
        return .valid
    }
}
