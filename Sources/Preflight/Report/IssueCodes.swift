/// The catalogue of codes: every error and notice a report can carry, with its level, an example
/// of its message and when it occurs. The README's "Error catalogue" table and `preflight codes`
/// are written from it (a test keeps the README equal to it); the rules use these cases, not
/// string literals.
public enum IssueCode: String, CaseIterable, Sendable {
    /// The input has no bytes, or only whitespace, line breaks or a byte order mark (row 0).
    case emptyPayload = "empty_payload"
    /// The input is larger than ``ValidationOptions/maxFileSize`` bytes after decompression (row 0);
    /// validation goes on.
    case fileTooLarge = "file_too_large"
    /// A data row past ``ValidationOptions/maxRows``, reported once at the first such row; rows are
    /// still counted after it.
    case tooManyRows = "too_many_rows"
    /// The file cannot be read as a whole: a CSV header that cannot be read (row 1), or a JSON
    /// document with a syntax error, a control character, invalid UTF-8 or no array of records (row 0,
    /// with the line and byte offset).
    case invalidFile = "invalid_file"
    /// The CSV header lacks a required column (row 1).
    case missingRequiredColumn = "missing_required_column"
    /// The CSV header names a column twice (row 1, once per name).
    case duplicateColumn = "duplicate_column"
    /// A row's id is absent, null, empty, only spaces or one of the schema's ``Schema/missingValues``.
    case missingID = "missing_id"
    /// A required field is absent, null, empty, only spaces or one of the schema's
    /// ``Schema/missingValues``.
    case missingRequiredField = "missing_required_field"
    /// A value breaks its column's type or a constraint (reported for the first check it fails); the
    /// code itself is `invalid_` followed by the column's name, such as `invalid_amount`.
    case invalidColumn = "invalid_<column>"
    /// A CSV record has a different number of fields from the header.
    case fieldCountMismatch = "field_count_mismatch"
    /// A CSV field has a quote inside an unquoted field, or text after its closing quote.
    case malformedQuotes = "malformed_quotes"
    /// A CSV quoted field is still open at the end of the input (reported at the row where it
    /// opened).
    case unterminatedQuote = "unterminated_quote"
    /// A line (NDJSON), record (CSV) or element (JSON) is longer than ``ValidationOptions/lineCap``
    /// bytes.
    case recordTooLarge = "record_too_large"
    /// An NDJSON line is blank or holds only whitespace.
    case emptyLine = "empty_line"
    /// An NDJSON line is not valid JSON.
    case syntaxError = "syntax_error"
    /// A raw control character: in CSV, one of U+0000–U+001F in a value other than a tab (or a line
    /// break inside quotes); in NDJSON, one inside a string (for the whole row).
    case controlCharacter = "control_character"
    /// A CSV record or NDJSON line is not valid UTF-8 (for the whole row).
    case invalidUTF8 = "invalid_utf8"
    /// An NDJSON line or JSON array element is not an object.
    case notAnObject = "not_an_object"
    /// A row is `{}`, or an object whose values are all null or `""`.
    case emptyAttributes = "empty_attributes"
    /// A row's id was already seen in an earlier row (not checked when
    /// ``ValidationOptions/uniqueIDs`` is false).
    case duplicateID = "duplicate_id"
    /// A notice: the input starts with a UTF-8 byte order mark, which is skipped.
    case bomPresent = "bom_present"
    /// A notice for a column the schema does not name: in CSV, once per header name (row 1); in JSON
    /// and NDJSON, once per flattened name at the row where it first appears, for at most 100 names.
    case unknownColumn = "unknown_column"
    /// A notice: the input mixes CRLF and LF line endings (in CSV, counted outside quotes; in
    /// NDJSON, over every line).
    case mixedLineEndings = "mixed_line_endings"

    /// The kind of a report's code: every `invalid_<column>` code is ``invalidColumn``; nil for a
    /// code this version does not know (a report decoded from a later version's).
    public static func kind(of code: String) -> IssueCode? {
        if let known = IssueCode(rawValue: code), known != .invalidColumn { return known }
        return code.hasPrefix("invalid_") && code != invalidFile.rawValue ? .invalidColumn : nil
    }

    /// The codes of errors that concern the whole file.
    public static let fileLevel: Set<IssueCode> = Set(catalogue.filter { $0.level == .file }.map(\.code))

    /// How far a code reaches: the whole file, one row, or nothing (a notice).
    public enum Level: String, Sendable {
        /// An error about the whole file: the report's status is ``ValidationReport/Status/failed``.
        case file
        /// An error in one row: the platform rejects that row, and the status is
        /// ``ValidationReport/Status/warnings`` unless a file-level error makes it failed.
        case row
        /// A ``Notice``, not an error: it does not change the status.
        case notice
    }

    /// One line of the catalogue (`invalid_<column>` has two: built-in types, schema files).
    public struct Entry: Sendable {
        /// The code this line describes.
        public let code: IssueCode
        /// The code's level: file, row or notice.
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
