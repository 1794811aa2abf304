/// Piing's preflight shapes (SPEC §6): the 202-like `valid`/`warnings` report, and the 400-like
/// `validation_failed` report when any file-level error is present.
enum PiingReport {
    static func render(_ report: ValidationReport) -> String {
        var json = JSONText()
        json.beginObject()
        json.member("status", report.status.rawValue)
        switch report.status {
        case .failed:
            json.member("error", "validation_failed")
            json.member("error_description", "Pre-flight validation failed")
            json.key("validationErrors")
            writeErrors(report.errors, to: &json)
            json.key("validationSummary")
            writeSummary(report, includeErrors: false, to: &json)
        case .valid, .warnings:
            json.member("message", report.status == .valid ? "File validated successfully" : "File validated with warnings")
            json.key("validationSummary")
            writeSummary(report, includeErrors: true, to: &json)
        }
        json.key("errorSummary")
        json.beginObject()
        json.member("totalErrors", report.totalErrors)
        json.key("errorTypes")
        json.beginObject()
        for code in report.errorCounts.keys.sorted() {
            json.member(code, report.errorCounts[code]!)
        }
        json.endObject()
        json.endObject()
        json.key("notices")
        json.beginArray()
        for notice in report.notices {
            json.beginObject()
            json.member("code", notice.code)
            json.member("message", notice.message)
            if let row = notice.row { json.member("row", row) }
            json.endObject()
        }
        json.endArray()
        json.key("file")
        json.beginObject()
        json.member("name", report.file.name)
        json.member("format", report.file.format.rawValue)
        json.member("sizeBytes", report.file.sizeBytes)
        json.member("schemaType", report.file.schemaType)
        json.endObject()
        json.endObject()
        return json.text
    }

    private static func writeSummary(_ report: ValidationReport, includeErrors: Bool, to json: inout JSONText) {
        json.beginObject()
        json.member("totalRows", report.totalRows)
        json.member("preflightValidatedRows", report.validatedRows)
        json.member("validRows", report.validRows)
        json.member("invalidRows", report.invalidRows)
        if includeErrors {
            json.key("preflightErrors")
            writeErrors(report.errors, to: &json)
        }
        json.endObject()
    }

    private static func writeErrors(_ errors: [ValidationIssue], to json: inout JSONText) {
        json.beginArray()
        for issue in errors {
            json.beginObject()
            writeError(issue, to: &json)
            json.endObject()
        }
        json.endArray()
    }

    /// The members of one error object.
    static func writeError(_ issue: ValidationIssue, to json: inout JSONText) {
        json.member("row", issue.row)
        if issue.line != issue.row { json.member("line", issue.line) }
        if let field = issue.field { json.member("field", field) }
        json.member("code", issue.code)
        json.member("error", issue.error)
    }

    /// Reads a report back from what `render` wrote. What Piing's JSON does not carry is derived
    /// (file-level errors from the file-level codes' counts) or left out (timings, values).
    static func decode(_ bytes: [UInt8]) throws(ReportDecodingError) -> ValidationReport {
        let root: SchemaValue
        do {
            root = try SchemaJSONParser.parse(bytes)
        } catch {
            throw ReportDecodingError(problem: error.message)
        }
        func int(_ value: SchemaValue?, _ name: String) throws(ReportDecodingError) -> Int {
            guard case .number(let text)? = value, let number = Int(text), number >= 0 else {
                throw ReportDecodingError(problem: "\(name) is not a count (an integer, 0 or more)")
            }
            return number
        }
        func string(_ value: SchemaValue?, _ name: String) throws(ReportDecodingError) -> String {
            guard case .string(let text)? = value else { throw ReportDecodingError(problem: "\(name) is not a string") }
            return text
        }
        func array(_ value: SchemaValue?, _ name: String) throws(ReportDecodingError) -> [SchemaValue] {
            guard case .array(let items)? = value else { throw ReportDecodingError(problem: "\(name) is not an array") }
            return items
        }
        guard case .string? = root["status"], let summary = root["validationSummary"],
              let file = root["file"], let errorSummary = root["errorSummary"] else {
            throw ReportDecodingError(problem: "not a Piing preflight report (status, validationSummary, errorSummary, file)")
        }
        let listed = try array(root["validationErrors"] ?? summary["preflightErrors"], "preflightErrors")
        var errors: [ValidationIssue] = []
        for item in listed {
            let code = try string(item["code"], "an error's code")
            let row = try int(item["row"], "an error's row")
            let field = item["field"] == nil ? nil : try string(item["field"], "an error's field")
            errors.append(ValidationIssue(
                row: row, line: item["line"] == nil ? row : try int(item["line"], "an error's line"), field: field,
                code: code, error: try string(item["error"], "an error's message"),
                isFileLevel: isFileLevel(code: code, field: field)))
        }
        guard case .object(let typeMembers)? = errorSummary["errorTypes"] else {
            throw ReportDecodingError(problem: "errorTypes is not an object")
        }
        var counts: [String: Int] = [:]
        for member in typeMembers { counts[member.key] = try int(member.value, "errorTypes.\(member.key)") }
        var notices: [Notice] = []
        for item in try array(root["notices"], "notices") {
            notices.append(Notice(code: try string(item["code"], "a notice's code"),
                                  message: try string(item["message"], "a notice's message"),
                                  row: item["row"] == nil ? nil : try int(item["row"], "a notice's row")))
        }
        let formatName = try string(file["format"], "file.format")
        guard let format = InputFormat(rawValue: formatName) else {
            throw ReportDecodingError(problem: "unknown format '\(formatName)'")
        }
        // File-level errors: those of the file-level codes, in a `failed` report only. A column
        // named `file` has `invalid_file` value errors too: the listed ones (they name their
        // field) are taken off; unlisted ones cannot be told apart (README, behaviour notes).
        var fileLevelErrors = 0
        if case .string("failed")? = root["status"] {
            for (code, count) in counts where isFileLevelCode(code) {
                let (sum, overflow) = fileLevelErrors.addingReportingOverflow(count)
                guard !overflow else { throw ReportDecodingError(problem: "errorTypes add up to more than an Int holds") }
                fileLevelErrors = sum
            }
            fileLevelErrors -= errors.filter { $0.code == IssueCode.invalidFile.rawValue && $0.field != nil }.count
            fileLevelErrors = max(fileLevelErrors, 0)
        }
        let totalRows = try int(summary["totalRows"], "totalRows")
        let invalidRows = try int(summary["invalidRows"], "invalidRows")
        guard invalidRows <= totalRows else { throw ReportDecodingError(problem: "invalidRows is more than totalRows") }
        return ValidationReport(
            file: .init(name: try string(file["name"], "file.name"), format: format,
                        sizeBytes: try int(file["sizeBytes"], "file.sizeBytes"),
                        schemaType: try string(file["schemaType"], "file.schemaType")),
            totalRows: totalRows, validatedRows: try int(summary["preflightValidatedRows"], "preflightValidatedRows"),
            invalidRows: invalidRows, errors: errors, errorCounts: counts,
            totalErrors: try int(errorSummary["totalErrors"], "totalErrors"),
            fileLevelErrors: fileLevelErrors, notices: notices, isComplete: true)
    }

    private static func isFileLevelCode(_ code: String) -> Bool {
        IssueCode.kind(of: code).map(IssueCode.fileLevel.contains) ?? false
    }

    /// Whether an error with this code (and a field, or none) concerns the whole file: a
    /// file-level code, unless it is a column's `invalid_file` (it names its field).
    static func isFileLevel(code: String, field: String?) -> Bool {
        isFileLevelCode(code) && !(code == IssueCode.invalidFile.rawValue && field != nil)
    }
}

/// A report that could not be read back: not JSON, or not the shape the style writes.
public struct ReportDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in one line.
    public let problem: String

    /// The error as one line: `cannot read the report: ` and the problem.
    public var description: String { "cannot read the report: " + problem }
}
