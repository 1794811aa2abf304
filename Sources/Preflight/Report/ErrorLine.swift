/// One error as one line of JSON (the `ndjson` report style and the rejects sidecar): the error
/// object of SPEC §6, optionally tagged with its file.
enum ErrorLine {
    static func render(_ issue: ValidationIssue, file: String?) -> String {
        var json = JSONText()
        json.beginObject()
        if let file { json.member("file", file) }
        PiingReport.writeError(issue, to: &json)
        json.endObject()
        return json.text + "\n"
    }
}
