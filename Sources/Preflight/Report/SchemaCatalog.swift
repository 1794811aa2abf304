/// The built-in schemas as JSON, shaped like Piing's `GET /api/external/schemas` response.
@_spi(CommandLine) public enum SchemaCatalog {
    public static func render(_ schemas: [Schema]) -> String {
        var json = JSONText()
        json.beginObject()
        json.key("schemas")
        json.beginArray()
        for schema in schemas {
            json.beginObject()
            json.member("schemaType", schema.name)
            switch schema.idColumns.count {
            case 0:
                json.key("idField")
                json.raw("null")
            case 1:
                json.member("idField", schema.idColumns[0].name)
            default:
                json.key("idField")
                json.beginArray()
                for column in schema.idColumns { json.string(column.name) }
                json.endArray()
            }
            json.key("requiredColumns")
            writeColumns(schema.columns.filter(\.required), to: &json)
            json.key("optionalColumns")
            writeColumns(schema.columns.filter { !$0.required }, to: &json)
            json.key("acceptsOtherColumns")
            json.raw(schema.acceptsOtherColumns ? "true" : "false")
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.text
    }

    /// The schemas as a table for people (`preflight schemas` on a terminal): per schema its id
    /// and what it does with other columns, then one line per column with its type, whether it is
    /// required, and its format and constraints.
    public static func table(_ schemas: [Schema]) -> String {
        var lines: [String] = []
        for schema in schemas {
            let id = schema.idColumns.isEmpty ? "no id" : "id " + schema.idColumns.map(\.name).joined(separator: " + ")
            lines.append("\(schema.name)  (\(id); other columns: \(schema.otherColumns.rawValue))")
            let rows = [["column", "type", "required", "rules"]] + schema.columns.map { column in
                [column.name, column.type.rawValue, column.required ? "yes" : "no", rules(of: column)]
            }
            let widths = (0..<3).map { index in rows.map { $0[index].count }.max() ?? 0 }
            for row in rows {
                var line = "  "
                for index in 0..<3 { line += row[index] + String(repeating: " ", count: widths[index] - row[index].count + 2) }
                lines.append((line + row[3]).trimmingTrailingSpaces())
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// A column's format and constraints in a few words: `format %d/%m/%Y, ≥ 1, unique`.
    static func rules(of column: Column) -> String {
        var parts: [String] = []
        if let format = column.format { parts.append("format " + format) }
        if let format = column.numberFormat {
            parts.append("written with decimal '\(format.decimalChar)'" + (format.groupChar.map { ", group '\($0)'" } ?? "")
                         + (format.bareNumber ? "" : ", text around"))
        }
        if let values = column.trueValues { parts.append("true: " + values.joined(separator: "/")) }
        if let values = column.falseValues { parts.append("false: " + values.joined(separator: "/")) }
        let constraints = column.constraints
        if let values = constraints.enumValues { parts.append("one of " + values.joined(separator: ", ")) }
        if let value = constraints.const { parts.append("= " + value) }
        if let pattern = constraints.pattern {
            parts.append((constraints.patternMatchesWholeValue ? "matches " : "contains ") + pattern)
        }
        if let length = constraints.minLength { parts.append("length ≥ \(length)") }
        if let length = constraints.maxLength { parts.append("length ≤ \(length)") }
        if let bound = constraints.minimum { parts.append("≥ " + bound) }
        if let bound = constraints.exclusiveMinimum { parts.append("> " + bound) }
        if let bound = constraints.maximum { parts.append("≤ " + bound) }
        if let bound = constraints.exclusiveMaximum { parts.append("< " + bound) }
        if let step = constraints.multipleOf { parts.append("multiple of " + step) }
        if constraints.unique { parts.append("unique") }
        return parts.joined(separator: ", ")
    }

    private static func writeColumns(_ columns: [Column], to json: inout JSONText) {
        json.beginArray()
        for column in columns {
            json.beginObject()
            json.member("name", column.name)
            json.member("type", column.type.rawValue)
            if column.mustBePositive { json.key("constraint"); json.string("> 0") }
            json.endObject()
        }
        json.endArray()
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
