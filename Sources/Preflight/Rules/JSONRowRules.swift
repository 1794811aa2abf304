extension RowChecker {
    /// Every rule for one NDJSON line or JSON element: a whole-row error (too large, blank,
    /// not UTF-8, a raw control character, not JSON, not an object) is its only error; an object's
    /// fields are checked against the schema.
    mutating func check(_ item: JSONRow, row: Int, into result: inout ChunkResult) {
        switch item.content {
        case .object(let object):
            checkObject(object, row: row, line: item.line, unknownColumns: &result.unknownColumns, into: &result.log,
                        ids: &result.ids)
        case .tooLarge: rejectRow(.recordTooLarge, row: row, line: item.line, into: &result.log)
        case .emptyLine: rejectRow(.emptyLine, row: row, line: item.line, into: &result.log)
        case .invalidUTF8: rejectRow(.invalidUTF8, row: row, line: item.line, into: &result.log)
        case .controlCharacter: rejectRow(.controlCharacter, row: row, line: item.line, into: &result.log)
        case .syntaxError(let detail): rejectRow(.syntaxError(detail: detail), row: row, line: item.line, into: &result.log)
        case .notAnObject: rejectRow(.notAnObject, row: row, line: item.line, into: &result.log)
        }
    }
}
