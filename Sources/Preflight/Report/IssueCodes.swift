/// The catalogue of codes: every error and notice a report can carry, with its level, an example
/// of its message and when it occurs. The README's "Error catalogue" table and `preflight codes`
/// are written from it (a test keeps the README equal to it); the rules use these cases, not
/// string literals.
public enum IssueCode: String, CaseIterable, Sendable {
    case emptyPayload = "empty_payload"
    case fileTooLarge = "file_too_large"
    case tooManyRows = "too_many_rows"
    case invalidFile = "invalid_file"
    case missingRequiredColumn = "missing_required_column"
    case duplicateColumn = "duplicate_column"
    case missingID = "missing_id"
    case missingRequiredField = "missing_required_field"
    case invalidColumn = "invalid_<column>"
    case fieldCountMismatch = "field_count_mismatch"
    case malformedQuotes = "malformed_quotes"
    case unterminatedQuote = "unterminated_quote"
    case recordTooLarge = "record_too_large"
    case emptyLine = "empty_line"
    case syntaxError = "syntax_error"
    case controlCharacter = "control_character"
    case invalidUTF8 = "invalid_utf8"
    case notAnObject = "not_an_object"
    case emptyAttributes = "empty_attributes"
    case duplicateID = "duplicate_id"
    case bomPresent = "bom_present"
    case unknownColumn = "unknown_column"
    case mixedLineEndings = "mixed_line_endings"

    /// The kind of a report's code: every `invalid_<column>` code is ``invalidColumn``; nil for a
    /// code this version does not know (a report decoded from a later version's).
    public static func kind(of code: String) -> IssueCode? {
        if let known = IssueCode(rawValue: code), known != .invalidColumn { return known }
        return code.hasPrefix("invalid_") && code != invalidFile.rawValue ? .invalidColumn : nil
    }

    /// The codes of errors that concern the whole file.
    public static let fileLevel: Set<IssueCode> = Set(catalogue.filter { $0.level == .file }.map(\.code))

    public enum Level: String, Sendable {
        case file, row, notice
    }

    /// One line of the catalogue (`invalid_<column>` has two: built-in types, schema files).
    public struct Entry: Sendable {
        public let code: IssueCode
        public let level: Level
        /// Examples of the message, as Markdown.
        public let message: String
        /// When it occurs, as Markdown.
        public let when: String
    }

    /// The catalogue, in the order the README lists it.
    public static let catalogue: [Entry] = [
        Entry(code: .emptyPayload, level: .file, message: "`Empty Payload`",
              when: "no bytes, or only whitespace, line breaks or a BOM (row 0)"),
        Entry(code: .fileTooLarge, level: .file, message: "`File exceeds 100 MB limit`",
              when: "size > `--max-file-size` (row 0); validation goes on"),
        Entry(code: .tooManyRows, level: .file, message: "`File exceeds 1000000 row limit`",
              when: "at the first row past `--max-rows`; counting goes on"),
        Entry(code: .invalidFile, level: .file, message: "`File is not a valid CSV: …` / `File is not a valid JSON: …`",
              when: "CSV header unreadable (row 1); JSON syntax error, control character, invalid UTF-8 or wrong top-level shape (row 0, with line and byte offset)"),
        Entry(code: .missingRequiredColumn, level: .file, message: "`Missing required column: store_id`",
              when: "CSV header lacks a required column (row 1)"),
        Entry(code: .duplicateColumn, level: .file, message: "`Duplicate column: amount`",
              when: "CSV header names a column twice (row 1, once per name)"),
        Entry(code: .missingID, level: .row, message: "`Missing \"id\" attribute`",
              when: "the id is absent, null, empty or only spaces"),
        Entry(code: .missingRequiredField, level: .row, message: "`Missing required field: store_id`",
              when: "a required field absent, null, empty or only spaces"),
        Entry(code: .invalidColumn, level: .row, message: "`Invalid number format: 'abc'`, `Invalid integer format: '2.5'`, `Invalid date format, expected YYYY-MM-DD`, `Invalid date: '2026-02-30'`, `Invalid datetime format, expected YYYY-MM-DDThh:mm:ss with optional fraction and zone`, `Invalid datetime: '2026-01-07T25:00:00Z'`, `Value must be positive: '-5.00'`",
              when: "a value breaks its column's type or constraint"),
        Entry(code: .invalidColumn, level: .row, message: "schema files: `Value must match the pattern '[A-Z]{3}-\\d+': 'abc-12'`, `Invalid boolean: 'maybe'`, `Invalid year: '20x5'`, `Invalid time format, expected hh:mm:ss with optional fraction and zone: '12:00'`, `Invalid time: '25:00:00'`, `Invalid date format, expected %d/%m/%Y: '2026-01-01'` (a column's `format`), `Value must be a string: '5'` (also `an integer`, `a number`, `a boolean`; JSON typing), `Value must be one of 'open', 'shipped': 'lost'` (`enum`, at most ten listed), `Value must be '7': '8'` (`const`), `Value must be at least 3 characters long: 'AB'`, `Value must be at most 5 characters long: 'ABCDEF'`, `Value must be at least 1: '0'`, `Value must be at most 10000: '10000.5'`, `Value must be greater than 2: '2'`, `Value must be less than 9: '9'`, `Value must be a multiple of 0.01: '1.234'`, `Duplicate value: 'a@x' (first seen in row 2)` (`unique`), `Unexpected field` (`otherColumns: reject`)",
              when: "a value breaks its column's type or constraint, at the first failing check (see \"Schema files\")"),
        Entry(code: .fieldCountMismatch, level: .row, message: "`Expected 7 fields, found 5`",
              when: "CSV record with another field count than the header"),
        Entry(code: .malformedQuotes, level: .row, message: "`Malformed quoted field`",
              when: "CSV quote inside an unquoted field, or text after a closing quote"),
        Entry(code: .unterminatedQuote, level: .row, message: "`Quoted field not terminated`",
              when: "CSV quoted field open at end of input (at the row where it opened)"),
        Entry(code: .recordTooLarge, level: .row, message: "`Product payload is too large`",
              when: "line / record / element longer than `--line-cap`"),
        Entry(code: .emptyLine, level: .row, message: "`Empty Payload line`",
              when: "NDJSON blank or whitespace-only line"),
        Entry(code: .syntaxError, level: .row, message: "`Syntax error: …`",
              when: "NDJSON line that is not valid JSON"),
        Entry(code: .controlCharacter, level: .row, message: "`Control character error, possibly incorrectly encoded`",
              when: "CSV: raw U+0000–U+001F other than tab in a value (LF/CRLF only inside quotes); NDJSON: a raw control character inside a string (whole row)"),
        Entry(code: .invalidUTF8, level: .row, message: "`Invalid UTF-8 encoding`",
              when: "CSV record or NDJSON line that is not UTF-8 (whole row)"),
        Entry(code: .notAnObject, level: .row, message: "`Expected a JSON object`",
              when: "NDJSON line or JSON element that is not an object"),
        Entry(code: .emptyAttributes, level: .row, message: "`Empty Product Attributes`",
              when: "`{}`, or an object whose values are all null or `\"\"`"),
        Entry(code: .duplicateID, level: .row, message: "`Duplicate id: 'TXN001' (first seen in row 2)`",
              when: "the id repeats (off with `--no-unique-ids`)"),
        Entry(code: .bomPresent, level: .notice, message: "`File starts with a UTF-8 byte order mark; remove it before upload`",
              when: "the input starts with a UTF-8 BOM (it is skipped)"),
        Entry(code: .unknownColumn, level: .notice, message: "`Unknown column: note`",
              when: "CSV: per header name the schema does not know, row 1; JSON/NDJSON: per flattened name, at the row where it first appears, at most 100 names"),
        Entry(code: .mixedLineEndings, level: .notice, message: "`File mixes CRLF (12) and LF (3) line endings`",
              when: "CSV: terminators outside quotes; NDJSON: every line"),
    ]

    /// The catalogue as a JSON array of `{"code", "level", "message", "when"}`.
    public static func jsonCatalogue() -> String {
        var json = JSONText()
        json.beginArray()
        for entry in catalogue {
            json.beginObject()
            json.member("code", entry.code.rawValue)
            json.member("level", entry.level.rawValue)
            json.member("message", entry.message)
            json.member("when", entry.when)
            json.endObject()
        }
        json.endArray()
        return json.text
    }

    /// The catalogue as the README's Markdown table.
    public static func markdownTable() -> String {
        var lines = ["| code | level | message | when |", "|---|---|---|---|"]
        for entry in catalogue {
            lines.append("| `\(entry.code.rawValue)` | \(entry.level.rawValue) | \(entry.message) | \(entry.when) |")
        }
        return lines.joined(separator: "\n")
    }
}
