/// JSON Schema (2020-12 and draft-07) describing one record: `type: object` with `properties`,
/// `required` and `additionalProperties`; per property `type`, `format`, `pattern`, `enum`,
/// `const`, bounds, `multipleOf` and lengths; a nested object's properties become dot-joined
/// columns (`customer.id`). Values are typed by their JSON type (`ValueTyping.json`); patterns
/// match anywhere (ECMA-262 searches). The id is the preflight keyword `x-preflight-id`; the
/// name is `x-preflight-name`, else `title`, else the file's name. What cannot be checked row by
/// row from this one file (`$ref`, combinators, conditionals, arrays) is refused by name.
enum JSONSchemaFormat {
    static let documentation: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly",
        "deprecated", "$anchor",
    ]
    static let unsupported: Set<String> = [
        "$ref", "$dynamicRef", "$defs", "definitions", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
        "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
        "minProperties", "maxProperties", "unevaluatedProperties", "items", "prefixItems", "contains",
        "minItems", "maxItems", "uniqueItems", "contentEncoding", "contentMediaType",
    ]
    static let objectKeys: Set<String> = documentation.union(["type", "properties", "required", "additionalProperties"])
    static let rootKeys: Set<String> = objectKeys.union(["x-preflight-id", "x-preflight-name"])
    static let valueKeys: Set<String> = documentation.union([
        "type", "format", "pattern", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength",
    ])
    static let formats: [String: (ColumnType, String?)] = [
        "date": (.date, nil), "date-time": (.datetime, nil), "time": (.time, nil),
        "email": (.string, "email"), "uri": (.string, "uri"), "uuid": (.string, "uuid"),
    ]

    static func schema(_ node: SchemaNode, fileName: String) throws(SchemaError) -> Schema {
        let members = try node.members(known: rootKeys, unsupported: unsupported)
        if let typeNode = members["type"], try typeNode.string() != "object" {
            throw typeNode.failure("a record schema must have type object")
        }
        var columns: [Column] = []
        try collect(node, members: members, prefix: "", required: true, into: &columns)
        let idColumns = try members["x-preflight-id"]?.idColumns(among: columns, kind: "properties",
                                                                  emptyMessage: "an empty id") ?? []
        var otherColumns = OtherColumns.notice
        if let additional = members["additionalProperties"] {
            guard case .bool(let allowed) = additional.value else {
                throw additional.failure("only true or false is supported here")
            }
            otherColumns = allowed ? .notice : .reject
        }
        var name = TableSchemaFormat.stem(of: fileName)
        if let title = members["title"] { name = try title.string() }
        if let given = members["x-preflight-name"] { name = try given.string() }
        return Schema(name: name, columns: columns, idColumns: idColumns, otherColumns: otherColumns,
                      missingValues: [""], valueTyping: .json)
    }

    /// The columns of an object's properties, nested objects' under `prefix.name.`.
    private static func collect(_ node: SchemaNode, members: [String: SchemaNode], prefix: String, required: Bool,
                                into columns: inout [Column]) throws(SchemaError) {
        let requiredNames = try members["required"]?.strings() ?? []
        guard let properties = members["properties"] else {
            if prefix.isEmpty { throw node.failure("a record schema needs 'properties'") }
            return
        }
        guard case .object(let list) = properties.value else { throw properties.failure("expected an object") }
        for name in requiredNames where !list.contains(where: { $0.key == name }) {
            throw members["required"]!.failure("'\(name)' is required but not among the properties")
        }
        for member in list {
            let property = SchemaNode(member.value, path: properties.path + "." + member.key, file: node.file)
            let name = prefix + member.key
            let isRequired = required && requiredNames.contains(member.key)
            if case .object = property.value, property.value["properties"] != nil || isObjectType(property.value) {
                let inner = try property.members(known: objectKeys, unsupported: unsupported)
                if let additional = inner["additionalProperties"], additional.value != .bool(true) {
                    throw additional.failure("additionalProperties inside a nested object is not supported")
                }
                try collect(property, members: inner, prefix: name + ".", required: isRequired, into: &columns)
                continue
            }
            let column = try self.column(property, name: name, required: isRequired)
            if columns.contains(where: { $0.name == column.name }) { throw property.failure("a second column named '\(name)'") }
            columns.append(column)
        }
    }

    private static func isObjectType(_ value: SchemaValue) -> Bool { value["type"] == .string("object") }

    private static func column(_ node: SchemaNode, name: String, required: Bool) throws(SchemaError) -> Column {
        if node.value == .bool(true) || node.value == .object([]) {
            return Column(name, .any, required: required)
        }
        let members = try node.members(known: valueKeys, unsupported: unsupported)
        var type = ColumnType.any
        if let typeNode = members["type"] {
            var names: [String]
            if case .array = typeNode.value { names = try typeNode.strings() } else { names = [try typeNode.string()] }
            // null is allowed: a null value is absent anyway (SPEC: required then reports it missing).
            names.removeAll { $0 == "null" }
            guard names.count <= 1 else { throw typeNode.failure("a property of several types is not supported") }
            switch names.first {
            case nil: type = .any
            case "string": type = .string
            case "integer": type = .integer
            case "number": type = .number
            case "boolean": type = .boolean
            case let other?: throw typeNode.failure("the type '\(other)' is not supported")
            }
        }
        var format: String? = nil
        if let formatNode = members["format"] {
            let text = try formatNode.string()
            guard let (formatType, stringFormat) = formats[text] else {
                throw formatNode.failure("the format '\(text)' is not supported (supported: "
                                         + formats.keys.sorted().joined(separator: ", ") + ")")
            }
            guard type == .string || type == .any else { throw formatNode.failure("a format needs type string") }
            type = formatType
            format = stringFormat
        }
        var constraints = Constraints()
        constraints.pattern = try members["pattern"]?.string()
        if constraints.pattern != nil { constraints.patternMatchesWholeValue = false }  // ECMA-262: a search
        constraints.enumValues = try members["enum"]?.scalarTexts()
        constraints.const = try members["const"]?.scalarText()
        constraints.minLength = try members["minLength"]?.count()
        constraints.maxLength = try members["maxLength"]?.count()
        for (key, path) in ColumnValidation.boundKeys {
            guard let bound = members[key] else { continue }
            if case .bool = bound.value { throw bound.failure("draft-04's boolean \(key) is not supported; give the bound") }
            constraints[keyPath: path] = try bound.number()
        }
        let column = Column(name, type, required: required, format: format, constraints: constraints)
        try ColumnValidation.check(column) { keyword in members[keyword] ?? node }
        return column
    }
}
