/// The checks every loader runs on a column it built, so that a schema cannot say something the
/// rows could never meet or that the checks would not understand: a layout on a type without one,
/// spellings on a non-boolean, an `enum` value that is not of the column's type, bounds on a
/// type without order, a minimum above its maximum. `at(keyword)` is where the keyword was
/// written (the error names that place).
enum ColumnValidation {
    /// The bound keywords, as every format spells them, and where each goes.
    static var boundKeys: [(String, WritableKeyPath<Constraints, String?>)] {
        [("minimum", \.minimum), ("maximum", \.maximum), ("exclusiveMinimum", \.exclusiveMinimum),
         ("exclusiveMaximum", \.exclusiveMaximum), ("multipleOf", \.multipleOf)]
    }

    static func check(_ column: Column, at: (String) -> SchemaNode) throws(SchemaError) {
        let type = column.type
        let constraints = column.constraints
        let numeric = ColumnChecks.isNumeric(type)
        if let format = column.format {
            switch type {
            case .date, .datetime, .time:
                let parsed = Result { () throws(DatePattern.Failure) in try DatePattern(format) }
                guard case .success(let layout) = parsed else {
                    if case .failure(.unsupported(let directive)) = parsed {
                        throw at("format").failure("the directive '\(directive)' is not supported (use %Y %y %m %d %H %M %S %f %z)")
                    }
                    return
                }
                if type != .time, !layout.hasDate { throw at("format").failure("a \(type.rawValue) layout needs %Y (or %y), %m and %d") }
                if type == .time, !layout.hasTime { throw at("format").failure("a time layout needs %H") }
            case .string, .any, .stringOrNumber:
                guard StringFormats.supported.contains(format) else {
                    throw at("format").failure("the format '\(format)' is not supported (use email, uri, uuid or binary)")
                }
            default:
                throw at("format").failure("'format' is not supported for type \(type.rawValue)")
            }
        }
        if let numberFormat = column.numberFormat {
            guard type == .number || type == .integer else {
                throw at("decimalChar").failure("number formats are for number and integer columns, not \(type.rawValue)")
            }
            for (keyword, text) in [("decimalChar", numberFormat.decimalChar), ("groupChar", numberFormat.groupChar ?? "x")] {
                guard text.utf8.count == 1, let byte = text.utf8.first, byte > 0x20, byte < 0x7F,
                      !ValueChecks.isDigit(byte), byte != UInt8(ascii: "-"), byte != UInt8(ascii: "+") else {
                    throw at(keyword).failure("expected one printable ASCII character that is not a digit or sign, found '\(text)'")
                }
            }
            if numberFormat.groupChar == numberFormat.decimalChar {
                throw at("groupChar").failure("the group and decimal characters are both '\(numberFormat.decimalChar)'")
            }
        }
        if column.trueValues != nil || column.falseValues != nil {
            guard type == .boolean else {
                throw at(column.trueValues != nil ? "trueValues" : "falseValues")
                    .failure("spellings of true and false are for boolean columns, not \(type.rawValue)")
            }
            let trueValues = column.trueValues ?? ColumnChecks.defaultTrueValues
            let falseValues = column.falseValues ?? ColumnChecks.defaultFalseValues
            if let both = trueValues.first(where: falseValues.contains) {
                throw at("trueValues").failure("'\(both)' is both a true and a false value")
            }
        }
        let checks = ColumnChecks(Column(column.name, type, required: true, format: column.format,
                                         trueValues: column.trueValues, falseValues: column.falseValues,
                                         numberFormat: column.numberFormat),
                                  typing: .text)
        func checkValue(_ text: String, keyword: String) throws(SchemaError) {
            var bytes = Array(text.utf8)
            let problem = bytes.withUnsafeMutableBytes { checks.problem(UnsafeRawBufferPointer($0), kind: .text) }
            if problem != nil { throw at(keyword).failure("'\(text)' is not a valid \(type.rawValue)") }
        }
        for value in constraints.enumValues ?? [] { try checkValue(value, keyword: "enum") }
        if constraints.enumValues?.isEmpty == true { throw at("enum").failure("an empty enum allows no value") }
        if let value = constraints.const { try checkValue(value, keyword: "const") }
        if let pattern = constraints.pattern {
            do {
                _ = try PatternMatcher(pattern, wholeValue: constraints.patternMatchesWholeValue)
            } catch {
                throw at("pattern").failure("invalid pattern at offset \(error.offset): \(error.message)")
            }
        }
        if constraints.minLength != nil || constraints.maxLength != nil {
            guard type == .string || type == .any || type == .stringOrNumber else {
                throw at(constraints.minLength != nil ? "minLength" : "maxLength")
                    .failure("lengths are for text columns, not \(type.rawValue)")
            }
            if let minimum = constraints.minLength, let maximum = constraints.maxLength, minimum > maximum {
                throw at("minLength").failure("minLength \(minimum) is above maxLength \(maximum)")
            }
        }
        let bounds = [("minimum", constraints.minimum), ("maximum", constraints.maximum),
                      ("exclusiveMinimum", constraints.exclusiveMinimum), ("exclusiveMaximum", constraints.exclusiveMaximum)]
        for (keyword, bound) in bounds {
            guard let bound else { continue }
            if numeric {
                guard DecimalText(bound) != nil else { throw at(keyword).failure("'\(bound)' is not a number") }
            } else if type == .date, column.format == nil {
                try checkValue(bound, keyword: keyword)
            } else {
                throw at(keyword).failure("bounds are for numbers and dates in the default layout, not \(type.rawValue)"
                                          + (column.format != nil ? " with a format" : ""))
            }
        }
        let lower = constraints.minimum ?? constraints.exclusiveMinimum
        let upper = constraints.maximum ?? constraints.exclusiveMaximum
        if let lower, let upper, order(lower, upper, numeric: numeric) > 0 {
            throw at(constraints.minimum != nil ? "minimum" : "exclusiveMinimum").failure("the lower bound \(lower) is above the upper bound \(upper)")
        }
        if let step = constraints.multipleOf {
            guard numeric else { throw at("multipleOf").failure("multipleOf is for numbers, not \(type.rawValue)") }
            guard let decimal = DecimalText(step), !decimal.isNegative, !decimal.isZero else {
                throw at("multipleOf").failure("'\(step)' is not a number greater than 0")
            }
            guard decimal.digits.count <= 18 else {
                throw at("multipleOf").failure("'\(step)' has more than 18 significant digits")
            }
        }
    }

    /// The order of two bounds already known to be valid numbers or dates.
    private static func order(_ left: String, _ right: String, numeric: Bool) -> Int {
        guard numeric, let right = DecimalText(right) else { return left < right ? -1 : (left == right ? 0 : 1) }
        var bytes = Array(left.utf8)
        return bytes.withUnsafeMutableBytes { text in
            DecimalView(UnsafeRawBufferPointer(text))?.compare(in: UnsafeRawBufferPointer(text), to: right) ?? 0
        }
    }
}
