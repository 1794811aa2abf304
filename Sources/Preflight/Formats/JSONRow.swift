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
