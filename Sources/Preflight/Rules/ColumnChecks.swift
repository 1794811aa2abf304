/// What a value is, for schemas that type JSON values by their JSON type (`ValueTyping.json`).
enum ValueKind: UInt8 {
    /// A CSV cell: only text.
    case text
    case string, number, boolean, array
}

/// A column's checks beyond the built-in types' fast path, compiled once from the schema: the
/// types loaded schemas add, layouts (`format`), boolean spellings, JSON typing and the
/// constraints, in SPEC §10's order (type, `enum`/`const`, `pattern`, lengths, bounds,
/// `multipleOf`). Values are judged on their bytes: no `String`, no allocation, numbers compared
/// exactly on their decimal text.
final class ColumnChecks: @unchecked Sendable {
    private let type: ColumnType
    private let typing: ValueTyping
    private let layout: DatePattern?
    /// A string column's format: `email`, `uri`, `uuid` or `binary`.
    private let stringFormat: String?
    /// A number or integer written with other characters: its reading, and the plain number read
    /// back (reused from value to value; one `ColumnChecks` per worker).
    private let numberFormat: (decimal: UInt8, group: UInt8?, bare: Bool)?
    private var plain: [UInt8] = []
    private let trueValues: [[UInt8]]
    private let falseValues: [[UInt8]]
    private let constraints: Constraints
    /// `enum` of a text column: looked up by hash. Numeric and boolean columns compare logical values.
    private let enumTexts: IDRegistry?
    private let enumNumbers: [DecimalText]
    private let enumBooleans: [Bool]
    private let pattern: PatternMatcher?
    private let constNumber: DecimalText?
    private let constBoolean: Bool?
    private let minimum: DecimalText?
    private let maximum: DecimalText?
    private let exclusiveMinimum: DecimalText?
    private let exclusiveMaximum: DecimalText?
    private let multipleOf: DecimalText?
    /// Whether any constraint compares a numeric column's values as numbers.
    private let readsNumbers: Bool
    /// Bounds of a date column in its default layout, compared as `YYYY-MM-DD` text: minimum,
    /// maximum, exclusive minimum, exclusive maximum.
    private let dateBounds: [[UInt8]?]

    static let defaultTrueValues = ["true", "True", "TRUE", "1"]
    static let defaultFalseValues = ["false", "False", "FALSE", "0"]

    /// Whether a column needs these checks (the built-in types without constraints do not).
    static func needed(for column: Column, typing: ValueTyping) -> Bool {
        switch column.type {
        case .string, .stringOrNumber, .integer, .decimal, .date, .datetime:
            return typing == .json || column.format != nil || column.numberFormat != nil
                || !(column.constraints.isEmpty || column.constraints == onlyPositive)
        default:
            return true
        }
    }

    private static let onlyPositive: Constraints = {
        var constraints = Constraints()
        constraints.exclusiveMinimum = "0"
        return constraints
    }()

    /// Compiles `column`'s checks; the loaders have made sure its layout and numbers are valid.
    init(_ column: Column, typing: ValueTyping) {
        type = column.type
        self.typing = typing
        let isText = column.type == .string || column.type == .any || column.type == .stringOrNumber
        layout = isText ? nil : column.format.flatMap { try? DatePattern($0) }
        stringFormat = isText ? column.format : nil
        numberFormat = column.numberFormat.flatMap { format in
            (column.type == .number || column.type == .integer)
                ? (format.decimalChar.utf8.first ?? UInt8(ascii: "."), format.groupChar?.utf8.first, format.bareNumber)
                : nil
        }
        trueValues = (column.trueValues ?? Self.defaultTrueValues).map { Array($0.utf8) }
        falseValues = (column.falseValues ?? Self.defaultFalseValues).map { Array($0.utf8) }
        constraints = column.constraints
        let numeric = Self.isNumeric(column.type)
        var texts: IDRegistry? = nil
        var numbers: [DecimalText] = []
        var booleans: [Bool] = []
        if let values = column.constraints.enumValues {
            if numeric {
                numbers = values.compactMap(DecimalText.init)
            } else if column.type == .boolean {
                booleans = values.compactMap { Self.truth(of: $0, trueValues: column.trueValues, falseValues: column.falseValues) }
            } else {
                var slots = 8
                while slots < values.count * 2 { slots *= 2 }
                let registry = IDRegistry(slots: slots)
                for (index, value) in values.enumerated() {
                    var bytes = Array(value.utf8)
                    bytes.withUnsafeMutableBytes { buffer in
                        let text = UnsafeRawBufferPointer(buffer)
                        _ = registry.register(text, hash: IDRegistry.hash(text), row: index)
                    }
                }
                texts = registry
                // A JSON number in a text column (JSON typing) compares with the numeric values by value.
                numbers = values.compactMap(DecimalText.init)
            }
        }
        enumTexts = texts
        enumNumbers = numbers
        enumBooleans = booleans
        pattern = column.constraints.pattern.flatMap { text in
            try? PatternMatcher(text, wholeValue: column.constraints.patternMatchesWholeValue)
        }
        constNumber = column.type == .boolean ? nil : column.constraints.const.flatMap(DecimalText.init)
        constBoolean = column.type == .boolean
            ? column.constraints.const.flatMap { Self.truth(of: $0, trueValues: column.trueValues, falseValues: column.falseValues) }
            : nil
        minimum = column.constraints.minimum.flatMap(DecimalText.init)
        maximum = column.constraints.maximum.flatMap(DecimalText.init)
        exclusiveMinimum = column.constraints.exclusiveMinimum.flatMap(DecimalText.init)
        exclusiveMaximum = column.constraints.exclusiveMaximum.flatMap(DecimalText.init)
        multipleOf = column.constraints.multipleOf.flatMap(DecimalText.init)
        let bounds = column.constraints
        readsNumbers = bounds.enumValues != nil || bounds.const != nil || bounds.minimum != nil || bounds.maximum != nil
            || bounds.exclusiveMinimum != nil || bounds.exclusiveMaximum != nil || bounds.multipleOf != nil
        dateBounds = column.type == .date && column.format == nil
            ? [bounds.minimum, bounds.maximum, bounds.exclusiveMinimum, bounds.exclusiveMaximum].map { $0.map { Array($0.utf8) } }
            : []
    }

    static func isNumeric(_ type: ColumnType) -> Bool {
        type == .integer || type == .decimal || type == .number || type == .year
    }

    private static func truth(of text: String, trueValues: [String]?, falseValues: [String]?) -> Bool? {
        if (trueValues ?? defaultTrueValues).contains(text) { return true }
        if (falseValues ?? defaultFalseValues).contains(text) { return false }
        return nil
    }

    /// What is wrong with a present value (not absent, not missing), if anything.
    func problem(_ value: UnsafeRawBufferPointer, kind: ValueKind) -> IssueKind? {
        if let numberFormat, kind != .number {
            // Read the number back to its plain form; the message still shows the value as written.
            guard readPlainNumber(value, format: numberFormat) else { return type == .integer ? .invalidInteger : .invalidNumber }
            return plain.withUnsafeBytes { plain in
                if let problem = typeProblem(plain, kind: kind) { return problem }
                return constraintProblem(plain, kind: kind)
            }
        }
        if let problem = typeProblem(value, kind: kind) { return problem }
        return constraintProblem(value, kind: kind)
    }

    /// Writes to `plain` the number in `value` without group characters, with `.` for the
    /// decimal character and, unless the number must be bare, without text around it. False when
    /// there is no number to read.
    private func readPlainNumber(_ value: UnsafeRawBufferPointer, format: (decimal: UInt8, group: UInt8?, bare: Bool)) -> Bool {
        plain.removeAll(keepingCapacity: true)
        var start = 0, end = value.count
        if !format.bare {
            // Text before and after: from the first sign or digit to the last digit.
            func isNumberStart(_ byte: UInt8) -> Bool {
                ValueChecks.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            }
            while start < end, !isNumberStart(value[start]) { start += 1 }
            while end > start, !ValueChecks.isDigit(value[end - 1]) { end -= 1 }
            if start == end { return false }
        }
        for index in start..<end {
            let byte = value[index]
            if let group = format.group, byte == group { continue }
            if byte == format.decimal {
                plain.append(UInt8(ascii: "."))
            } else if byte == UInt8(ascii: ".") && format.decimal != UInt8(ascii: ".") {
                return false  // a point that is neither the decimal nor the group character
            } else {
                plain.append(byte)
            }
        }
        return true
    }

    // MARK: Types

    private func typeProblem(_ value: UnsafeRawBufferPointer, kind: ValueKind) -> IssueKind? {
        if typing == .json, kind != .text {
            switch type {
            case .string, .date, .datetime, .time:
                guard kind == .string else { return .wrongJSONType(expected: "a string") }
            case .integer:
                return kind == .number && ValueChecks.isJSONInteger(value) ? nil : .wrongJSONType(expected: "an integer")
            case .number, .decimal:
                return kind == .number ? nil : .wrongJSONType(expected: "a number")
            case .boolean:
                return kind == .boolean ? nil : .wrongJSONType(expected: "a boolean")
            case .any, .stringOrNumber, .year:
                break
            }
        } else if typing == .json {
            // A CSV cell under JSON typing: numbers by JSON's grammar.
            switch type {
            case .integer: return ValueChecks.isJSONInteger(value) ? nil : .invalidInteger
            case .number, .decimal: return ValueChecks.isJSONNumber(value) ? nil : .invalidNumber
            default: break
            }
        }
        switch type {
        case .string, .stringOrNumber, .any:
            guard let stringFormat, !StringFormats.check(stringFormat, value) else { return nil }
            return .invalidStringFormat(stringFormat)
        case .integer:
            return ValueChecks.isInteger(value) ? nil : .invalidInteger
        case .decimal:
            return ValueChecks.isDecimal(value) ? nil : .invalidNumber
        case .number:
            return ValueChecks.isNumber(value) ? nil : .invalidNumber
        case .year:
            return ValueChecks.isYear(value) ? nil : .invalidYear
        case .boolean:
            return truth(of: value, kind: kind) == nil ? .invalidBoolean : nil
        case .date:
            if let layout { return layoutProblem(layout.check(value), type: "date", layout: layout, notReal: .invalidDate) }
            switch ValueChecks.checkDate(value) {
            case .valid: return nil
            case .badFormat: return .invalidDateFormat
            case .notReal: return .invalidDate
            }
        case .datetime:
            if let layout { return layoutProblem(layout.check(value), type: "datetime", layout: layout, notReal: .invalidDatetime) }
            switch ValueChecks.checkDatetime(value) {
            case .valid: return nil
            case .badFormat: return .invalidDatetimeFormat
            case .notReal: return .invalidDatetime
            }
        case .time:
            if let layout { return layoutProblem(layout.check(value), type: "time", layout: layout, notReal: .invalidTime) }
            switch ValueChecks.checkTime(value) {
            case .valid: return nil
            case .badFormat: return .invalidTimeFormat
            case .notReal: return .invalidTime
            }
        }
    }

    private func layoutProblem(_ result: ValueChecks.Temporal, type: String, layout: DatePattern, notReal: IssueKind)
        -> IssueKind? {
        switch result {
        case .valid: return nil
        case .badFormat: return .invalidLayout(type: type, expected: layout.text)
        case .notReal: return notReal
        }
    }

    /// true or false for a boolean's text, nil when it is neither spelling. A JSON boolean is
    /// one whatever the spellings.
    private func truth(of value: UnsafeRawBufferPointer, kind: ValueKind) -> Bool? {
        if kind == .boolean { return value.elementsEqual("true".utf8) }
        for spelling in trueValues where spelling.elementsEqual(value) { return true }
        for spelling in falseValues where spelling.elementsEqual(value) { return false }
        return nil
    }

    /// The canonical form of a valid value for `unique` (see `CompiledSchema.writesCanonical`):
    /// a number's plain decimal text (scientific past 40 digits either side of the point), a
    /// boolean's `true`/`false`. Returns false for text, compared as it is.
    func canonical(_ value: UnsafeRawBufferPointer, kind: ValueKind, into scratch: inout [UInt8]) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        if type == .boolean {
            guard let truth = truth(of: value, kind: kind) else { return false }
            scratch.append(contentsOf: truth ? "true".utf8 : "false".utf8)
            return true
        }
        guard Self.isNumeric(type), let number = DecimalView(value) else { return false }
        if number.isZero {
            scratch.append(UInt8(ascii: "0"))
            return true
        }
        if number.isNegative { scratch.append(UInt8(ascii: "-")) }
        let exponent = number.exponent
        if exponent > 40 || exponent < -40 {
            scratch.append(contentsOf: "0.".utf8)
            number.forEachDigit(in: value) { scratch.append($0 + 0x30) }
            scratch.append(contentsOf: "e\(exponent)".utf8)
            return true
        }
        if exponent <= 0 {
            scratch.append(contentsOf: "0.".utf8)
            for _ in 0..<(-exponent) { scratch.append(UInt8(ascii: "0")) }
            number.forEachDigit(in: value) { scratch.append($0 + 0x30) }
            return true
        }
        var written = 0
        number.forEachDigit(in: value) { digit in
            if written == exponent { scratch.append(UInt8(ascii: ".")) }
            scratch.append(digit + 0x30)
            written += 1
        }
        while written < exponent {
            scratch.append(UInt8(ascii: "0"))
            written += 1
        }
        return true
    }

    // MARK: Constraints

    private func constraintProblem(_ value: UnsafeRawBufferPointer, kind: ValueKind) -> IssueKind? {
        let numeric = Self.isNumeric(type)
        // Read the number only for the checks that compare it (not for a pattern or lengths alone).
        let number = numeric && readsNumbers && !ValueChecks.isSpecialNumber(value) ? DecimalView(value) : nil
        if let values = constraints.enumValues {
            let allowed: Bool
            if let enumTexts {
                allowed = enumTexts.firstRow(of: value, hash: IDRegistry.hash(value)) != nil
                    || (kind == .number && DecimalView(value).map { number in
                        enumNumbers.contains { number.compare(in: value, to: $0) == 0 }
                    } ?? false)
            } else if numeric {
                allowed = number.map { number in enumNumbers.contains { number.compare(in: value, to: $0) == 0 } } ?? false
            } else {
                allowed = truth(of: value, kind: kind).map(enumBooleans.contains) ?? false
            }
            if !allowed { return .constraint(.notInEnum(values)) }
        }
        if let const = constraints.const {
            let equal: Bool
            if let constNumber, numeric || kind == .number {
                // Numbers by value (`7.0` is `7`); in a text column only a JSON number is one.
                let read = numeric ? number : DecimalView(value)
                equal = read.map { $0.compare(in: value, to: constNumber) == 0 } ?? value.elementsEqual(const.utf8)
            } else if let constBoolean {
                equal = truth(of: value, kind: kind) == constBoolean
            } else {
                equal = value.elementsEqual(const.utf8)
            }
            if !equal { return .constraint(.notConst(const)) }
        }
        if let pattern, !pattern.matches(value) { return .constraint(.pattern(constraints.pattern!)) }
        if constraints.minLength != nil || constraints.maxLength != nil {
            let length = ValueChecks.scalarCount(value)
            if let minimum = constraints.minLength, length < minimum { return .constraint(.tooShort(minimum)) }
            if let maximum = constraints.maxLength, length > maximum { return .constraint(.tooLong(maximum)) }
        }
        if numeric {
            if let problem = boundProblem(number, value) { return problem }
            if let multipleOf, let step = constraints.multipleOf {
                guard let number, number.isMultiple(in: value, of: multipleOf) else { return .constraint(.notMultiple(step)) }
            }
        } else if !dateBounds.isEmpty {
            if let bound = dateBounds[0], Self.compareText(value, bound) < 0 {
                return .constraint(.belowMinimum(constraints.minimum!))
            }
            if let bound = dateBounds[1], Self.compareText(value, bound) > 0 {
                return .constraint(.aboveMaximum(constraints.maximum!))
            }
            if let bound = dateBounds[2], Self.compareText(value, bound) <= 0 {
                return .constraint(.notAbove(constraints.exclusiveMinimum!))
            }
            if let bound = dateBounds[3], Self.compareText(value, bound) >= 0 {
                return .constraint(.notBelow(constraints.exclusiveMaximum!))
            }
        }
        return nil
    }

    /// Bounds of a numeric column; `number` nil: `NaN`, `INF` or `-INF` (NaN meets no bound,
    /// INF every lower one, -INF every upper one).
    private func boundProblem(_ number: DecimalView?, _ value: UnsafeRawBufferPointer) -> IssueKind? {
        func compare(_ bound: DecimalText) -> Int {
            if let number { return number.compare(in: value, to: bound) }
            if value.elementsEqual("INF".utf8) { return 1 }
            if value.elementsEqual("-INF".utf8) { return -1 }
            return 2  // NaN: fails both directions below
        }
        if let minimum, let text = constraints.minimum {
            let order = compare(minimum)
            if order < 0 || order == 2 { return .constraint(.belowMinimum(text)) }
        }
        if let maximum, let text = constraints.maximum {
            let order = compare(maximum)
            if order > 0 { return .constraint(.aboveMaximum(text)) }
        }
        if let exclusiveMinimum, let text = constraints.exclusiveMinimum {
            let order = compare(exclusiveMinimum)
            if order <= 0 || order == 2 {
                return text == "0" && type == .decimal ? .notPositive : .constraint(.notAbove(text))
            }
        }
        if let exclusiveMaximum, let text = constraints.exclusiveMaximum {
            let order = compare(exclusiveMaximum)
            if order >= 0 { return .constraint(.notBelow(text)) }
        }
        return nil
    }

    /// Byte order (the same as date order for `YYYY-MM-DD`).
    private static func compareText(_ value: UnsafeRawBufferPointer, _ bound: [UInt8]) -> Int {
        let count = min(value.count, bound.count)
        for index in 0..<count where value[index] != bound[index] {
            return value[index] < bound[index] ? -1 : 1
        }
        return value.count == bound.count ? 0 : (value.count < bound.count ? -1 : 1)
    }
}
