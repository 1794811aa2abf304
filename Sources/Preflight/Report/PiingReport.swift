/// Piing's preflight shapes (SPEC §6): the 202-like `valid`/`warnings` report, and the 400-like
/// `validation_failed` report when any file-level error is present.
public enum PiingReport {
    public static func render(_ report: ValidationReport) -> String {
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
}
