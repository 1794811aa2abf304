/// A small writer for reports: members come out in the order they are written, so report
/// shapes stay byte for byte what SPEC §6 shows.
struct JSONText {
    private(set) var text = ""
    private var needsComma = false

    mutating func beginObject() { separate(); text += "{"; needsComma = false }
    mutating func endObject() { text += "}"; needsComma = true }
    mutating func beginArray() { separate(); text += "["; needsComma = false }
    mutating func endArray() { text += "]"; needsComma = true }

    mutating func key(_ name: String) {
        separate()
        JSONText.appendString(name, to: &text)
        text += ":"
        needsComma = false
    }

    mutating func string(_ value: String) { separate(); JSONText.appendString(value, to: &text); needsComma = true }
    mutating func int(_ value: Int) { separate(); text += String(value); needsComma = true }
    /// A literal (`true`, `false`, `null`).
    mutating func raw(_ literal: String) { separate(); text += literal; needsComma = true }

    mutating func member(_ name: String, _ value: String) { key(name); string(value) }
    mutating func member(_ name: String, _ value: Int) { key(name); int(value) }

    private mutating func separate() {
        if needsComma { text += "," }
    }

    static func appendString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
