/// One error in a report: where it is, its stable code and its human message.
///
/// Switch on ``kind`` to handle a kind of error; ``code`` is the exact code the platforms use
/// (`invalid_price` for a column's value error, of kind ``IssueCode/invalidColumn``).
public struct ValidationIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    /// 1-based row (CSV: the header is row 1; JSON: element; NDJSON: line), or 0 for the whole file.
    public let row: Int
    /// 1-based physical line where the row starts.
    public let line: Int
    /// The column at fault, when one is.
    public let field: String?
    /// The stable code: `duplicate_id`, `invalid_price`, …
    public let code: String
    /// The human message, as the platform words it.
    public let error: String
    /// Whether this error concerns the whole file (status ``ValidationReport/Status/failed``).
    public let isFileLevel: Bool
    /// The offending value as written (cut at 200 bytes), when the error is about one. Not part of
    /// an issue's identity (`==`), and not in Piing's report.
    public let value: String?
    /// Position within its row, for ordering: column position; -1 whole row; -2 `too_many_rows`.
    let order: Int

    /// An issue of your own (an observer's, a test's); the engine makes its own.
    public init(row: Int, line: Int, field: String?, code: String, error: String, isFileLevel: Bool,
                value: String? = nil) {
        self.init(row: row, line: line, field: field, code: code, error: error, isFileLevel: isFileLevel,
                  value: value, order: -1)
    }

    init(row: Int, line: Int, field: String?, code: String, error: String, isFileLevel: Bool, value: String?,
         order: Int) {
        self.row = row
        self.line = line
        self.field = field
        self.code = code
        self.error = error
        self.isFileLevel = isFileLevel
        self.value = value
        self.order = order
    }

    /// The error a kind makes at a place (its message built now).
    init(_ kind: IssueKind, row: Int, line: Int, order: Int, field: String?, invalidCode: String?,
         value: UnsafeRawBufferPointer?) {
        self.init(row: row, line: line, field: field, code: kind.code(invalidCode: invalidCode),
                  error: kind.message(field: field, value: value), isFileLevel: kind.isFileLevel,
                  value: value.map(IssueKind.excerpt), order: order)
    }

    /// The same error, its row and line moved by the offsets of the chunk it was found in.
    func shifted(rows: Int, lines: Int) -> ValidationIssue {
        ValidationIssue(row: row + rows, line: line + lines, field: field, code: code, error: error,
                        isFileLevel: isFileLevel, value: value, order: order)
    }

    /// The code's kind, to switch on: every `invalid_<column>` code is ``IssueCode/invalidColumn``;
    /// nil only for a code this version does not know.
    public var kind: IssueCode? {
        // A column named `file` has the code of the file-level `invalid_file`; its errors name it.
        if code == IssueCode.invalidFile.rawValue, field != nil { return .invalidColumn }
        return IssueCode.kind(of: code)
    }

    /// Equal when they name the same place, code and message (``value`` and the engine's ordering
    /// aside).
    public static func == (left: ValidationIssue, right: ValidationIssue) -> Bool {
        left.row == right.row && left.line == right.line && left.field == right.field && left.code == right.code
            && left.error == right.error && left.isFileLevel == right.isFileLevel
    }

    private enum CodingKeys: String, CodingKey {
        case row, line, field, code, error, isFileLevel, value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(row: try container.decode(Int.self, forKey: .row), line: try container.decode(Int.self, forKey: .line),
                  field: try container.decodeIfPresent(String.self, forKey: .field),
                  code: try container.decode(String.self, forKey: .code),
                  error: try container.decode(String.self, forKey: .error),
                  isFileLevel: try container.decode(Bool.self, forKey: .isFileLevel),
                  value: try container.decodeIfPresent(String.self, forKey: .value))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(row, forKey: .row)
        try container.encode(line, forKey: .line)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encode(code, forKey: .code)
        try container.encode(error, forKey: .error)
        try container.encode(isFileLevel, forKey: .isFileLevel)
        try container.encodeIfPresent(value, forKey: .value)
    }

    /// "row 3 (line 4) price: invalid_price: Invalid number format: 'abc'"; the line is shown only
    /// when it differs from the row number.
    public var description: String {
        var text = "row \(row)"
        if line != row { text += " (line \(line))" }
        if let field { text += " \(field)" }
        return text + ": \(code): \(error)"
    }
}

/// Something worth knowing that does not change the status: a byte order mark, a column the
/// schema does not know, mixed line endings.
public struct Notice: Sendable, Equatable, Codable {
    /// `bom_present`, `unknown_column`, `mixed_line_endings`.
    public let code: String
    /// The human message: `Unknown column: note`, …
    public let message: String
    /// The row it concerns, when one.
    public let row: Int?

    /// The code's kind, to switch on; nil only for a code this version does not know.
    public var kind: IssueCode? { IssueCode.kind(of: code) }

    /// A notice of your own; the engine makes its own.
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
    /// `delimiterHint`: the header looks split by another delimiter (`;`, `|`, tab): its name for `--delimiter`.
    case missingRequiredColumn(String, delimiterHint: String? = nil)
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
    // One field, loaded schemas' types and constraints (all `invalid_<column>`).
    /// A date, datetime or time that does not have the column's layout (`expected`, as written).
    case invalidLayout(type: String, expected: String)
    case invalidTime
    case invalidTimeFormat
    case invalidBoolean
    case invalidYear
    /// A string that does not have its column's format (`email`, `uri`, `uuid`, `binary`).
    case invalidStringFormat(String)
    /// A JSON value of the wrong JSON type (JSON Schema): `expected` is `a string`, `a number`, …
    case wrongJSONType(expected: String)
    case constraint(ConstraintFailure)
    /// A column the schema does not allow (JSON Schema `additionalProperties: false`).
    case unexpectedField
    /// A `unique` column's value seen in an earlier row.
    case duplicateValue(firstRow: Int)

    var isFileLevel: Bool {
        switch self {
        case .emptyPayload, .fileTooLarge, .tooManyRows, .invalidCSV, .invalidJSON,
             .missingRequiredColumn, .duplicateColumn:
            return true
        default:
            return false
        }
    }

    /// The codes that do not depend on a column, in `fixedCodeIndex` order.
    static let fixedCodes: [String] = ([
        .emptyPayload, .fileTooLarge, .tooManyRows, .invalidFile, .missingRequiredColumn,
        .duplicateColumn, .recordTooLarge, .malformedQuotes, .unterminatedQuote, .invalidUTF8,
        .fieldCountMismatch, .emptyLine, .syntaxError, .notAnObject, .emptyAttributes,
        .controlCharacter, .missingID, .missingRequiredField, .duplicateID,
    ] as [IssueCode]).map(\.rawValue)
    static var fixedCodeCount: Int { fixedCodes.count }

    /// Index in `fixedCodes`, or nil for an `invalid_<column>` code.
    var fixedCodeIndex: Int? {
        switch self {
        case .emptyPayload: return 0
        case .fileTooLarge: return 1
        case .tooManyRows: return 2
        case .invalidCSV, .invalidJSON: return 3
        case .missingRequiredColumn: return 4
        case .duplicateColumn: return 5
        case .recordTooLarge: return 6
        case .malformedQuotes: return 7
        case .unterminatedQuote: return 8
        case .invalidUTF8: return 9
        case .fieldCountMismatch: return 10
        case .emptyLine: return 11
        case .syntaxError: return 12
        case .notAnObject: return 13
        case .emptyAttributes: return 14
        case .controlCharacter: return 15
        case .missingID: return 16
        case .missingRequiredField: return 17
        case .duplicateID: return 18
        case .invalidNumber, .invalidInteger, .invalidDateFormat, .invalidDate, .invalidDatetimeFormat,
             .invalidDatetime, .notPositive, .invalidLayout, .invalidTime, .invalidTimeFormat, .invalidBoolean,
             .invalidYear, .invalidStringFormat, .wrongJSONType, .constraint, .unexpectedField, .duplicateValue:
            return nil
        }
    }

    /// The stable code; `invalidCode` is the column's `invalid_<column>` for type errors.
    func code(invalidCode: String?) -> String {
        fixedCodeIndex.map { Self.fixedCodes[$0] } ?? invalidCode ?? "invalid_value"
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
        case .missingRequiredColumn(let name, let hint):
            guard let hint else { return "Missing required column: " + name }
            let (shown, option) = hint == "tab" ? ("a tab", "tab") : ("'\(hint)'", "'\(hint)'")
            return "Missing required column: \(name) (the header is one column that contains \(shown); try --delimiter \(option))"
        case .duplicateColumn(let name): return "Duplicate column: " + name
        case .recordTooLarge: return "Product payload is too large"
        case .malformedQuotes: return "Malformed quoted field"
        case .unterminatedQuote: return "Quoted field not terminated"
        case .invalidUTF8: return "Invalid UTF-8 encoding"
        case .fieldCountMismatch(let expected, let found): return "Expected \(expected) field\(expected == 1 ? "" : "s"), found \(found)"
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
        case .invalidLayout(let type, let expected): return "Invalid \(type) format, expected \(expected): " + quoted()
        case .invalidTime: return "Invalid time: " + quoted()
        case .invalidTimeFormat:
            return "Invalid time format, expected hh:mm:ss with optional fraction and zone: " + quoted()
        case .invalidBoolean: return "Invalid boolean: " + quoted()
        case .invalidYear: return "Invalid year: " + quoted()
        case .invalidStringFormat(let format): return "Invalid \(format): " + quoted()
        case .wrongJSONType(let expected): return "Value must be \(expected): " + quoted()
        case .constraint(let failure): return failure.message + ": " + quoted()
        case .unexpectedField: return "Unexpected field"
        case .duplicateValue(let firstRow): return "Duplicate value: \(quoted()) (first seen in row \(firstRow))"
        }
    }

    /// What a column's constraint says, for a value that breaks it (SPEC §10's order).
    enum ConstraintFailure: Equatable {
        case notInEnum([String])
        case notConst(String)
        case pattern(String)
        case tooShort(Int)
        case tooLong(Int)
        case belowMinimum(String)
        case aboveMaximum(String)
        case notAbove(String)
        case notBelow(String)
        case notMultiple(String)

        var message: String {
            switch self {
            case .notInEnum(let values):
                let shown = values.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
                return "Value must be one of \(shown)\(values.count > 10 ? ", …" : "")"
            case .notConst(let value): return "Value must be '\(value)'"
            case .pattern(let pattern): return "Value must match the pattern '\(pattern)'"
            case .tooShort(let length): return "Value must be at least \(length) character\(length == 1 ? "" : "s") long"
            case .tooLong(let length): return "Value must be at most \(length) character\(length == 1 ? "" : "s") long"
            case .belowMinimum(let bound): return "Value must be at least \(bound)"
            case .aboveMaximum(let bound): return "Value must be at most \(bound)"
            case .notAbove(let bound): return "Value must be greater than \(bound)"
            case .notBelow(let bound): return "Value must be less than \(bound)"
            case .notMultiple(let step): return "Value must be a multiple of \(step)"
            }
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
