/// One error in a report: where it is, its stable code and its human message (SPEC §5).
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    /// 1-based row (CSV: header is row 1; JSON: element; NDJSON: line), or 0 for the whole file.
    public let row: Int
    /// 1-based physical line where the row starts.
    public let line: Int
    /// The column at fault, when one is.
    public let field: String?
    public let code: String
    public let error: String
    /// Whether this error concerns the whole file (status `failed`).
    public let isFileLevel: Bool
    /// Position within its row, for ordering: column position; -1 whole row; -2 `too_many_rows`.
    let order: Int

    public init(row: Int, line: Int, field: String?, code: String, error: String, isFileLevel: Bool) {
        self.init(row: row, line: line, field: field, code: code, error: error, isFileLevel: isFileLevel, order: -1)
    }

    init(row: Int, line: Int, field: String?, code: String, error: String, isFileLevel: Bool, order: Int) {
        self.row = row
        self.line = line
        self.field = field
        self.code = code
        self.error = error
        self.isFileLevel = isFileLevel
        self.order = order
    }

    /// The same error, its row and line moved by the offsets of the chunk it was found in.
    func shifted(rows: Int, lines: Int) -> ValidationIssue {
        ValidationIssue(row: row + rows, line: line + lines, field: field, code: code, error: error,
                        isFileLevel: isFileLevel, order: order)
    }

    public var description: String {
        var text = "row \(row)"
        if line != row { text += " (line \(line))" }
        if let field { text += " \(field)" }
        return text + ": \(code): \(error)"
    }
}

/// Something worth knowing that does not change the status (SPEC §5, notices).
public struct Notice: Sendable, Equatable {
    public let code: String
    public let message: String
    public let row: Int?

    public init(code: String, message: String, row: Int?) {
        self.code = code
        self.message = message
        self.row = row
    }
}

/// What is wrong, before it becomes a code and a message. Messages are built only for the
/// errors a report lists.
enum IssueKind {
    // File level.
    case emptyPayload
    case fileTooLarge(limit: Int)
    case tooManyRows(limit: Int)
    case invalidCSV(detail: String)
    case invalidJSON(detail: String)
    case missingRequiredColumn(String)
    case duplicateColumn(String)
    // Whole row.
    case recordTooLarge
    case malformedQuotes
    case unterminatedQuote
    case invalidUTF8
    case fieldCountMismatch(expected: Int, found: Int)
    case emptyLine
    case syntaxError(detail: String?)
    case notAnObject
    case emptyAttributes
    // One field.
    case controlCharacter
    case missingID
    case missingRequiredField
    case invalidNumber
    case invalidInteger
    case invalidDateFormat
    case invalidDate
    case invalidDatetimeFormat
    case invalidDatetime
    case notPositive
    case duplicateID(firstRow: Int)

    var isFileLevel: Bool {
        switch self {
        case .emptyPayload, .fileTooLarge, .tooManyRows, .invalidCSV, .invalidJSON,
             .missingRequiredColumn, .duplicateColumn:
            return true
        default:
            return false
        }
    }

    /// The stable code; `invalidCode` is the column's `invalid_<column>` for type errors.
    func code(invalidCode: String?) -> String {
        switch self {
        case .emptyPayload: return "empty_payload"
        case .fileTooLarge: return "file_too_large"
        case .tooManyRows: return "too_many_rows"
        case .invalidCSV, .invalidJSON: return "invalid_file"
        case .missingRequiredColumn: return "missing_required_column"
        case .duplicateColumn: return "duplicate_column"
        case .recordTooLarge: return "record_too_large"
        case .malformedQuotes: return "malformed_quotes"
        case .unterminatedQuote: return "unterminated_quote"
        case .invalidUTF8: return "invalid_utf8"
        case .fieldCountMismatch: return "field_count_mismatch"
        case .emptyLine: return "empty_line"
        case .syntaxError: return "syntax_error"
        case .notAnObject: return "not_an_object"
        case .emptyAttributes: return "empty_attributes"
        case .controlCharacter: return "control_character"
        case .missingID: return "missing_id"
        case .missingRequiredField: return "missing_required_field"
        case .duplicateID: return "duplicate_id"
        case .invalidNumber, .invalidInteger, .invalidDateFormat, .invalidDate, .invalidDatetimeFormat,
             .invalidDatetime, .notPositive:
            return invalidCode ?? "invalid_value"
        }
    }

    /// The human message. `field` is the column name, `value` the offending text.
    func message(field: String?, value: UnsafeRawBufferPointer?) -> String {
        func quoted() -> String { "'" + IssueKind.excerpt(value) + "'" }
        switch self {
        case .emptyPayload: return "Empty Payload"
        case .fileTooLarge(let limit): return "File exceeds \(IssueKind.sizeText(limit)) limit"
        case .tooManyRows(let limit): return "File exceeds \(limit) row limit"
        case .invalidCSV(let detail): return "File is not a valid CSV: " + detail
        case .invalidJSON(let detail): return "File is not a valid JSON: " + detail
        case .missingRequiredColumn(let name): return "Missing required column: " + name
        case .duplicateColumn(let name): return "Duplicate column: " + name
        case .recordTooLarge: return "Product payload is too large"
        case .malformedQuotes: return "Malformed quoted field"
        case .unterminatedQuote: return "Quoted field not terminated"
        case .invalidUTF8: return "Invalid UTF-8 encoding"
        case .fieldCountMismatch(let expected, let found): return "Expected \(expected) fields, found \(found)"
        case .emptyLine: return "Empty Payload line"
        case .syntaxError(let detail): return detail.map { "Syntax error: " + $0 } ?? "Syntax error"
        case .notAnObject: return "Expected a JSON object"
        case .emptyAttributes: return "Empty Product Attributes"
        case .controlCharacter: return "Control character error, possibly incorrectly encoded"
        case .missingID: return "Missing \"id\" attribute"
        case .missingRequiredField: return "Missing required field: " + (field ?? "")
        case .invalidNumber: return "Invalid number format: " + quoted()
        case .invalidInteger: return "Invalid integer format: " + quoted()
        case .invalidDateFormat: return "Invalid date format, expected YYYY-MM-DD"
        case .invalidDate: return "Invalid date: " + quoted()
        case .invalidDatetimeFormat:
            return "Invalid datetime format, expected YYYY-MM-DDThh:mm:ss with optional fraction and zone"
        case .invalidDatetime: return "Invalid datetime: " + quoted()
        case .notPositive: return "Value must be positive: " + quoted()
        case .duplicateID(let firstRow): return "Duplicate id: \(quoted()) (first seen in row \(firstRow))"
        }
    }

    /// Values longer than this are cut in messages (at a character boundary, with `…`).
    static let excerptLimit = 200

    static func excerpt(_ value: UnsafeRawBufferPointer?) -> String {
        guard let value else { return "" }
        if value.count <= excerptLimit { return String(decoding: value, as: UTF8.self) }
        var end = excerptLimit
        while end > 0, value[end] & 0xC0 == 0x80 { end -= 1 }  // do not split a character
        return String(decoding: UnsafeRawBufferPointer(rebasing: value[0..<end]), as: UTF8.self) + "…"
    }

    /// "100 MB" for whole mebibytes (Piing's wording), else the byte count.
    static func sizeText(_ bytes: Int) -> String {
        bytes % 1_048_576 == 0 ? "\(bytes / 1_048_576) MB" : "\(bytes) bytes"
    }
}
