/// A number read exactly from its text (`-0012.50`, `1.5e3`, `+7`): sign, significant digits
/// and a power of ten, never a floating-point value. Bounds, `multipleOf` and numeric `enum`
/// values are compared through it, so `0.1 + 0.2`-style rounding never decides a row.
///
/// The value is `±0.d₁d₂…dₙ × 10^exponent` with d₁ ≠ 0 and dₙ ≠ 0 (no leading or trailing zeros);
/// zero has no digits.
struct DecimalText: Equatable, Sendable {
    var isNegative: Bool
    var digits: [UInt8]  // 0...9 each
    var exponent: Int

    /// Reads `[+-]?digits[.digits][(e|E)[+-]digits]` (digits on at least one side of the point);
    /// nil for anything else.
    init?(_ text: String) {
        var bytes = Array(text.utf8)
        guard let view = bytes.withUnsafeMutableBytes({ DecimalView(UnsafeRawBufferPointer($0)) }) else { return nil }
        isNegative = view.isNegative && !view.isZero
        digits = []
        exponent = view.exponent
        bytes.withUnsafeBytes { text in view.forEachDigit(in: text) { digits.append($0) } }
    }

    var isZero: Bool { digits.isEmpty }

    /// The text written back plainly (no exponent): `-12.5`, `1500`, `0.001`.
    var plainText: String {
        if digits.isEmpty { return "0" }
        var text = isNegative ? "-" : ""
        let characters = digits.map { Character(Unicode.Scalar($0 + 0x30)) }
        if exponent <= 0 {
            text += "0." + String(repeating: "0", count: -exponent) + String(characters)
        } else if exponent >= digits.count {
            text += String(characters) + String(repeating: "0", count: exponent - digits.count)
        } else {
            text += String(characters[..<exponent]) + "." + String(characters[exponent...])
        }
        return text
    }
}

/// The number in a value's bytes, without copying them: where its significant digits are. Used
/// per value by the constraint checks; `DecimalText` is the owned form for schema constants.
struct DecimalView {
    var isNegative = false
    /// Power of ten after the first significant digit (see `DecimalText`).
    var exponent = 0
    /// Index of the first and one past the last significant digit in the text (`first == end`: zero).
    var first = 0
    var end = 0
    /// Index of the decimal point, or -1 (skipped between `first` and `end`).
    var point = -1

    var isZero: Bool { first == end }

    init?(_ text: UnsafeRawBufferPointer) {
        let count = text.count
        var index = 0
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            isNegative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        let integerStart = index
        while index < count, text[index] &- 0x30 < 10 { index += 1 }
        let integerEnd = index
        var fractionEnd = index
        if index < count, text[index] == UInt8(ascii: ".") {
            point = index
            index += 1
            while index < count, text[index] &- 0x30 < 10 { index += 1 }
            fractionEnd = index
        }
        let digitCount = (integerEnd - integerStart) + (point >= 0 ? fractionEnd - point - 1 : 0)
        guard digitCount > 0 else { return nil }
        var power = 0
        if index < count, text[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var negativePower = false
            if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                negativePower = text[index] == UInt8(ascii: "-")
                index += 1
            }
            let start = index
            while index < count, text[index] &- 0x30 < 10 {
                // Beyond any length a value can have, the exponent's size no longer matters.
                if power < 1_000_000_000 { power = power * 10 + Int(text[index] &- 0x30) }
                index += 1
            }
            guard index > start else { return nil }
            if negativePower { power = -power }
        }
        guard index == count else { return nil }
        // First significant digit.
        var first = integerStart
        var position = 0  // digits before `first` that belong to the integer part (all zeros)
        while first < fractionEnd, text[first] == UInt8(ascii: "0") || first == point { first += 1 }
        guard first < fractionEnd else {
            self.first = 0
            self.end = 0
            isNegative = false
            return
        }
        var last = fractionEnd - 1
        while text[last] == UInt8(ascii: "0") || last == point { last -= 1 }
        self.first = first
        self.end = last + 1
        // Integer digits from `first` to the point (or the end of the integer part).
        if first < integerEnd {
            position = integerEnd - first
        } else {
            position = -(first - point - 1)
        }
        exponent = position + power
    }

    /// Calls `body` with each significant digit (0...9), in order.
    @inline(__always)
    func forEachDigit(in text: UnsafeRawBufferPointer, _ body: (UInt8) -> Void) {
        var index = first
        while index < end {
            if index != point { body(text[index] &- 0x30) }
            index += 1
        }
    }

    /// -1, 0 or 1 as the value in `text` is less than, equal to or greater than `other`.
    func compare(in text: UnsafeRawBufferPointer, to other: DecimalText) -> Int {
        let negative = isNegative && !isZero
        if negative != other.isNegative { return negative ? -1 : 1 }
        let magnitude = compareMagnitude(in: text, to: other)
        return negative ? -magnitude : magnitude
    }

    private func compareMagnitude(in text: UnsafeRawBufferPointer, to other: DecimalText) -> Int {
        if isZero || other.isZero { return isZero ? (other.isZero ? 0 : -1) : 1 }
        if exponent != other.exponent { return exponent < other.exponent ? -1 : 1 }
        var otherIndex = 0
        var index = first
        while index < end {
            if index != point {
                guard otherIndex < other.digits.count else { return 1 }
                let digit = text[index] &- 0x30
                let otherDigit = other.digits[otherIndex]
                if digit != otherDigit { return digit < otherDigit ? -1 : 1 }
                otherIndex += 1
            }
            index += 1
        }
        return otherIndex < other.digits.count ? -1 : 0
    }

    /// Whether the value in `text` is an integer multiple of `divisor` (its digits at most 18, so
    /// that they fit a `UInt64`; the loaders refuse longer ones).
    func isMultiple(in text: UnsafeRawBufferPointer, of divisor: DecimalText) -> Bool {
        if isZero { return true }
        guard !divisor.isZero else { return false }
        var modulus: UInt64 = 0
        for digit in divisor.digits { modulus = modulus * 10 + UInt64(digit) }
        // value = V × 10^(exponent − n), divisor = M × 10^(e' − n'), V and M without trailing zeros.
        var valueDigits = 0
        forEachDigit(in: text) { _ in valueDigits += 1 }
        let shift = (exponent - valueDigits) - (divisor.exponent - divisor.digits.count)
        // V has no factor 10, so with shift < 0 V would have to be a multiple of 10^-shift.
        guard shift >= 0 else { return false }
        var remainder: UInt64 = 0
        forEachDigit(in: text) { remainder = Self.multiplyMod(remainder, 10, modulus) &+ UInt64($0) }
        remainder %= modulus
        // × 10^shift, by squaring.
        var power = Self.powerMod(10, shift, modulus)
        power = Self.multiplyMod(remainder, power, modulus)
        return power == 0
    }

    private static func multiplyMod(_ a: UInt64, _ b: UInt64, _ modulus: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return modulus.dividingFullWidth((product.high % modulus, product.low)).remainder
    }

    private static func powerMod(_ base: UInt64, _ exponent: Int, _ modulus: UInt64) -> UInt64 {
        var result: UInt64 = 1 % modulus
        var base = base % modulus
        var exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiplyMod(result, base, modulus) }
            base = multiplyMod(base, base, modulus)
            exponent >>= 1
        }
        return result
    }
}
