/// Productsup's batch-upload error shape (SPEC §6): one entry per distinct message with its
/// count and first example; `successCount` and `errorCount` count rows.
enum ProductsupReport {
    static func render(_ report: ValidationReport, messages: ProductsupCollector) -> String {
        var json = JSONText()
        json.beginObject()
        let status: String
        switch report.status {
        case .valid: status = "success"
        case .warnings: status = "warning"
        case .failed: status = "failed"
        }
        json.member("status", status)
        json.member("successCount", report.validRows)
        json.member("errorCount", report.invalidRows)
        json.key("errors")
        json.beginArray()
        for entry in messages.entries {
            json.beginObject()
            json.member("message", entry.message)
            json.member("occurrences", entry.occurrences)
            json.key("example")
            json.beginObject()
            json.member("lineNumber", entry.lineNumber)
            json.member("value", entry.value)
            json.endObject()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.text
    }
}

/// Jumbo's offline-sales file error shape (SPEC §6): the listed errors grouped per row under the
/// physical line where the row starts; `{"result": N}` for a valid file.
enum JumboReport {
    /// `errorLines`: the rows that carry any error (`ErrorRowCounter`).
    static func render(_ report: ValidationReport, errorLines: Int) -> String {
        var json = JSONText()
        json.beginObject()
        if report.status == .valid {
            json.member("result", report.totalRows)
            json.endObject()
            return json.text
        }
        json.key("error")
        json.beginObject()
        json.member("code", 400)
        json.key("extended")
        json.beginObject()
        json.member("additional_errors", report.totalErrors - report.errors.count)
        json.member("error_fields", report.totalErrors)
        json.member("error_lines", errorLines)
        json.key("errors")
        json.beginArray()
        var index = 0
        let errors = report.errors
        while index < errors.count {
            let row = errors[index].row
            json.beginObject()
            json.member("line", errors[index].line)
            json.key("messages")
            json.beginArray()
            while index < errors.count, errors[index].row == row {
                json.string(errors[index].error)
                index += 1
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        json.member("message", "File content contains one or more errors")
        json.endObject()
        json.endObject()
        return json.text
    }
}
