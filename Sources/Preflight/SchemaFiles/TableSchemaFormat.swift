/// Frictionless Table Schema (v1, and v2's `exclusiveMinimum`/`exclusiveMaximum`), in JSON or
/// YAML: `fields` with `name`, `type`, `format`, `constraints`, boolean spellings and number
/// formats; `primaryKey` (one field or several: the id), `missingValues`. The schema's name is
/// the descriptor's `name`, else the file's name without its extensions. What it cannot check
/// (`foreignKeys`, `uniqueKeys`, the geo and duration types, `format: any`) is refused by name.
enum TableSchemaFormat {
    static let descriptorKeys: Set<String> = [
        "$schema", "name", "title", "description", "fields", "primaryKey", "missingValues",
    ]
    static let descriptorUnsupported: Set<String> = ["foreignKeys", "uniqueKeys", "fieldsMatch"]
    static let fieldKeys: Set<String> = [
        "name", "title", "description", "example", "rdfType", "type", "format", "constraints", "trueValues",
        "falseValues", "decimalChar", "groupChar", "bareNumber",
    ]
    static let fieldUnsupported: Set<String> = ["missingValues", "categories", "categoriesOrdered", "itemType", "itemFormat", "delimiter"]
    static let constraintKeys: Set<String> = [
        "required", "unique", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "pattern", "enum",
    ]
    static let types: [String: ColumnType] = [
        "string": .string, "number": .number, "integer": .integer, "boolean": .boolean, "date": .date,
        "time": .time, "datetime": .datetime, "year": .year, "any": .any,
    ]

    static func schema(_ node: SchemaNode, fileName: String) throws(SchemaError) -> Schema {
        let members = try node.members(known: descriptorKeys, unsupported: descriptorUnsupported)
        let name = try members["name"]?.string() ?? Self.stem(of: fileName)
        guard let fieldsNode = members["fields"] else { throw node.failure("a Table Schema needs 'fields'") }
        let columns = try fieldsNode.columns(kind: "field", column)
        let idColumns = try members["primaryKey"]?.idColumns(among: columns, kind: "fields",
                                                              emptyMessage: "an empty primaryKey") ?? []
        var missingValues = [""]
        if let missingNode = members["missingValues"] {
            missingValues = []
            for element in try missingNode.array() {
                // v2 also allows {"value": "…", "label": "…"}.
                if case .object = element.value {
                    let pair = try element.members(known: ["value", "label"])
                    guard let value = pair["value"] else { throw element.failure("a missing value needs 'value'") }
                    missingValues.append(try value.string())
                } else {
                    missingValues.append(try element.string())
                }
            }
        }
        return Schema(name: name, columns: columns, idColumns: idColumns, otherColumns: .notice,
                      missingValues: missingValues, valueTyping: .text)
    }

    private static func column(_ node: SchemaNode) throws(SchemaError) -> Column {
        let members = try node.members(known: fieldKeys, unsupported: fieldUnsupported)
        guard let nameNode = members["name"] else { throw node.failure("a field needs a 'name'") }
        let name = try nameNode.string()
        guard !name.isEmpty else { throw nameNode.failure("the name is empty") }
        var type = ColumnType.string
        if let typeNode = members["type"] {
            let text = try typeNode.string()
            guard let known = types[text] else {
                throw typeNode.failure("the type '\(text)' is not supported (supported: "
                                       + types.keys.sorted().joined(separator: ", ") + ")")
            }
            type = known
        }
        var format: String? = nil
        if let formatNode = members["format"] {
            var text = try formatNode.string()
            if text.hasPrefix("fmt:") { text.removeFirst(4) }  // v1's older spelling of a layout
            switch text {
            case "default": break
            case "any":
                throw formatNode.failure("the format 'any' is not supported: name the layout (e.g. %d/%m/%Y)")
            default: format = text
            }
        }
        var constraints = Constraints()
        var required = false
        // Table Schema patterns match the whole value (XML Schema style).
        constraints.patternMatchesWholeValue = true
        if let constraintsNode = members["constraints"] {
            let inner = try constraintsNode.members(known: constraintKeys, unsupported: ["jsonSchema"])
            required = try inner["required"]?.bool() ?? false
            constraints.unique = try inner["unique"]?.bool() ?? false
            constraints.minLength = try inner["minLength"]?.count()
            constraints.maxLength = try inner["maxLength"]?.count()
            constraints.pattern = try inner["pattern"]?.string()
            constraints.enumValues = try inner["enum"]?.scalarTexts()
            for (key, path) in ColumnValidation.boundKeys {
                guard let bound = inner[key] else { continue }
                // Bounds are written like the field's values: a number, or a date as text.
                constraints[keyPath: path] = ColumnChecks.isNumeric(type) ? try bound.number() : try bound.scalarText()
            }
        }
        let numberFormat = try SchemaNode.numberFormat(members)
        let column = Column(name, type, required: required, format: format, constraints: constraints,
                            trueValues: try members["trueValues"]?.strings(), falseValues: try members["falseValues"]?.strings(),
                            numberFormat: numberFormat)
        try ColumnValidation.check(column) { keyword in
            members[keyword] ?? members["constraints"]?[keyword] ?? node
        }
        return column
    }

    /// `orders.schema.json` → `orders`: the file's name without its folder and extensions.
    static func stem(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        var stem = name
        for suffix in [".json", ".yaml", ".yml", ".schema"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
        return stem.isEmpty ? name : stem
    }
}
