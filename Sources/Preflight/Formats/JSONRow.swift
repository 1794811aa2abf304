import CSimdJSON

/// A JSON object flattened by the shim: keys dot-joined, values as text. Valid only while the
/// visitor that received it runs.
struct JSONObject {
    enum Kind: Int32 {
        case string = 0, number, boolean, null, array
    }

    let fields: UnsafeBufferPointer<csj_field>

    init(_ result: csj_result) {
        fields = UnsafeBufferPointer(start: result.fields, count: result.field_count)
    }

    var count: Int { fields.count }

    @inline(__always)
    func key(_ index: Int) -> UnsafeRawBufferPointer {
        let field = fields[index]
        return UnsafeRawBufferPointer(start: field.key, count: field.key_length)
    }

    @inline(__always)
    func value(_ index: Int) -> UnsafeRawBufferPointer {
        let field = fields[index]
        return UnsafeRawBufferPointer(start: field.value, count: field.value_length)
    }

    func kind(_ index: Int) -> Kind { Kind(rawValue: fields[index].kind) ?? .string }

    /// No attributes, or every one null or the empty string.
    var isEmpty: Bool {
        for index in 0..<count {
            let kind = kind(index)
            if kind != .null && !(kind == .string && fields[index].value_length == 0) { return false }
        }
        return true
    }
}

/// One NDJSON line or JSON array element, with its position.
struct JSONRow {
    enum Content {
        case object(JSONObject)
        case tooLarge
        case emptyLine
        case invalidUTF8
        case controlCharacter
        case syntaxError(detail: String?)
        case notAnObject
    }

    /// 1-based physical line where the row starts.
    let line: Int
    /// Byte range of the row in the input (an NDJSON line's terminator excluded).
    let start: Int
    let end: Int
    /// Where the next row begins (past an NDJSON line's terminator; a JSON element's `end`).
    let next: Int
    let content: Content
}

/// Turns a shim status into the text of an error detail.
enum JSONStatus {
    static func message(_ result: csj_result) -> String? {
        result.error_message.map { String(cString: $0) }
    }
}
