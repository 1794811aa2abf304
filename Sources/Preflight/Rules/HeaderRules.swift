/// The rules for a CSV header: required columns present, no name twice, names the schema knows.
enum HeaderRules {
    /// The header's file-level errors (row 1), in order, and its notices.
    static func check(_ names: [String], schema: Schema) -> (errors: [IssueKind], notices: [Notice]) {
        var errors: [IssueKind] = []
        var notices: [Notice] = []
        let hint = delimiterHint(names, schema: schema)
        for column in schema.columns where column.required && !names.contains(column.name) {
            errors.append(.missingRequiredColumn(column.name, delimiterHint: hint))
        }
        var seen = Set<String>()
        var reported = Set<String>()
        for name in names {
            if !seen.insert(name).inserted {
                if reported.insert(name).inserted { errors.append(.duplicateColumn(name)) }
            } else if schema.otherColumns == .notice, schema.columnIndex(named: name) == nil {
                notices.append(Notice(code: IssueCode.unknownColumn.rawValue, message: "Unknown column: " + name, row: 1))
            }
        }
        return (errors, notices)
    }

    /// When the header is one column that, split at `;`, `|`, a tab or a comma, names a column of the
    /// schema, the file was most likely written with that delimiter: its `--delimiter` spelling.
    static func delimiterHint(_ names: [String], schema: Schema) -> String? {
        guard names.count == 1 else { return nil }
        for (delimiter, spelling) in [(Character(";"), ";"), ("|", "|"), ("\t", "tab"), (",", ",")] {
            let parts = names[0].split(separator: delimiter, omittingEmptySubsequences: false)
            if parts.count > 1, parts.contains(where: { schema.columnIndex(named: String($0)) != nil }) { return spelling }
        }
        return nil
    }
}
