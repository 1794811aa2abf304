/// The string formats of Table Schema and JSON Schema, checked on the bytes: loose on purpose
/// (an upload check, not a mail server), and written down in the README.
enum StringFormats {
    static let supported: Set<String> = ["email", "uri", "uuid", "binary"]

    /// Whether `value` has the format (an unknown format passes: the loaders refuse those).
    static func check(_ format: String, _ value: UnsafeRawBufferPointer) -> Bool {
        switch format {
        case "email": return isEmail(value)
        case "uri": return isURI(value)
        case "uuid": return isUUID(value)
        case "binary": return isBase64(value)
        default: return true
        }
    }

    /// `local@domain.tld`: one `@`, something before it, a domain with a dot neither first nor
    /// last, no spaces or control characters.
    static func isEmail(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let at = value.firstIndex(of: UInt8(ascii: "@")), at > 0 else { return false }
        let domain = value[(at + 1)...]
        guard let dot = domain.lastIndex(of: UInt8(ascii: ".")), dot > at + 1, dot < value.count - 1 else { return false }
        return !value.contains { $0 <= 0x20 || $0 == 0x7F } && !domain.contains(UInt8(ascii: "@"))
    }

    /// `scheme:rest` (RFC 3986): a letter, then letters, digits, `+`, `-` or `.`, a colon and
    /// something after it, no spaces or control characters.
    static func isURI(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let colon = value.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < value.count - 1 else { return false }
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
        guard isLetter(value[0]) else { return false }
        for byte in value[1..<colon] {
            guard isLetter(byte) || ValueChecks.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") else { return false }
        }
        return !value.contains { $0 <= 0x20 || $0 == 0x7F }
    }

    /// `8-4-4-4-12` hexadecimal digits.
    static func isUUID(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count == 36 else { return false }
        for (index, byte) in value.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard ValueChecks.isDigit(byte) || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "f"))
                else { return false }
            }
        }
        return true
    }

    /// Base64: groups of four of `A–Z a–z 0–9 + /`, the last ending in `=` or `==` if short.
    static func isBase64(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count % 4 == 0 else { return false }
        var padding = 0
        for (index, byte) in value.enumerated() {
            if byte == UInt8(ascii: "=") {
                guard index >= value.count - 2 else { return false }
                padding += 1
                continue
            }
            guard padding == 0 else { return false }
            let isAlphabet = ValueChecks.isDigit(byte) || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z"))
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            guard isAlphabet else { return false }
        }
        return true
    }
}
