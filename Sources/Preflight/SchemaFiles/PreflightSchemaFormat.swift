/// preflight's own schema format (JSON or YAML), documented in the README, with a JSON Schema
/// for editors in `schemas/preflight-schema.json`:
///
/// ```json
/// {"name": "orders", "idField": "order_id", "otherColumns": "notice",
///  "columns": [{"name": "order_id", "type": "string", "required": true},
///              {"name": "amount", "type": "decimal", "required": true, "exclusiveMinimum": 0}]}
/// ```
///
/// `schemas` prints the built-ins in it, and what it prints loads back equal.
public enum PreflightSchemaFormat {
    static let schemaKeys: Set<String> = [
        "$schema", "name", "description", "idField", "otherColumns", "missingValues", "valueTyping", "columns",
    ]
    static let columnKeys: Set<String> = [
        "name", "description", "type", "required", "format", "trueValues", "falseValues", "enum", "const",
        "pattern", "patternMatches", "unique", "decimalChar", "groupChar", "bareNumber", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    ]
    /// Keywords of the format that this version does not check yet: refused by name.
    static let notYet: Set<String> = []

    // MARK: Reading

    static func schema(_ node: SchemaNode) throws(SchemaError) -> Schema {
        let members = try node.members(known: schemaKeys, unsupported: notYet)
        guard let nameNode = members["name"] else { throw node.failure("a schema needs a 'name'") }
        let name = try nameNode.string()
        guard !name.isEmpty else { throw nameNode.failure("the name is empty") }
        guard let columnsNode = members["columns"] else { throw node.failure("a schema needs 'columns'") }
        let columns = try columnsNode.columns(kind: "column", column)
        // One column's name, or several (the id is their values together).
        let idColumns = try members["idField"]?.idColumns(among: columns, kind: "columns", emptyMessage: "an empty id") ?? []
        var otherColumns = OtherColumns.notice
        if let otherNode = members["otherColumns"] {
            let text = try otherNode.string()
            guard let value = OtherColumns(rawValue: text) else {
                throw otherNode.failure("expected notice, allow or reject, found '\(text)'")
            }
            otherColumns = value
        }
        var typing = ValueTyping.text
        if let typingNode = members["valueTyping"] {
            let text = try typingNode.string()
            guard let value = ValueTyping(rawValue: text) else { throw typingNode.failure("expected text or json, found '\(text)'") }
            typing = value
        }
        let missingValues = try members["missingValues"]?.strings() ?? [""]
        return Schema(name: name, columns: columns, idColumns: idColumns, otherColumns: otherColumns,
                      missingValues: missingValues, valueTyping: typing)
    }

    private static func column(_ node: SchemaNode) throws(SchemaError) -> Column {
        let members = try node.members(known: columnKeys, unsupported: notYet)
        guard let nameNode = members["name"] else { throw node.failure("a column needs a 'name'") }
        let name = try nameNode.string()
        guard !name.isEmpty else { throw nameNode.failure("the name is empty") }
        guard let typeNode = members["type"] else { throw node.failure("column '\(name)' needs a 'type'") }
        let typeText = try typeNode.string()
        guard let type = ColumnType(rawValue: typeText) else {
            throw typeNode.failure("unknown type '\(typeText)' (expected one of "
                                   + ColumnType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        var constraints = Constraints()
        constraints.enumValues = try members["enum"]?.scalarTexts()
        constraints.const = try members["const"]?.scalarText()
        constraints.pattern = try members["pattern"]?.string()
        constraints.unique = try members["unique"]?.bool() ?? false
        if let matches = members["patternMatches"] {
            let text = try matches.string()
            guard text == "whole" || text == "anywhere" else {
                throw matches.failure("expected whole or anywhere, found '\(text)'")
            }
            guard constraints.pattern != nil else { throw matches.failure("'patternMatches' without a 'pattern'") }
            constraints.patternMatchesWholeValue = text == "whole"
        }
        constraints.minLength = try members["minLength"]?.count()
        constraints.maxLength = try members["maxLength"]?.count()
        for (key, path) in ColumnValidation.boundKeys {
            guard let bound = members[key] else { continue }
            constraints[keyPath: path] = type == .date ? try bound.string() : try bound.number()
        }
        let numberFormat = try SchemaNode.numberFormat(members)
        let result = Column(name, type, required: try members["required"]?.bool() ?? false,
                            format: try members["format"]?.string(), constraints: constraints,
                            trueValues: try members["trueValues"]?.strings(),
                            falseValues: try members["falseValues"]?.strings(), numberFormat: numberFormat)
        try ColumnValidation.check(result) { keyword in members[keyword] ?? node }
        return result
    }

    // MARK: Writing

    /// The schema in this format, as a value tree (`text(of:)` writes it).
    static func value(of schema: Schema) -> SchemaValue {
        var members: [SchemaValue.Member] = [.init("name", .string(schema.name))]
        let ids = schema.idColumns.map { SchemaValue.string($0.name) }
        members.append(.init("idField", ids.isEmpty ? .null : ids.count == 1 ? ids[0] : .array(ids)))
        if schema.otherColumns != .notice { members.append(.init("otherColumns", .string(schema.otherColumns.rawValue))) }
        if schema.missingValues != [""] { members.append(.init("missingValues", .array(schema.missingValues.map { .string($0) }))) }
        if schema.valueTyping != .text { members.append(.init("valueTyping", .string(schema.valueTyping.rawValue))) }
        members.append(.init("columns", .array(schema.columns.map(value(of:)))))
        return .object(members)
    }

    private static func value(of column: Column) -> SchemaValue {
        var members: [SchemaValue.Member] = [
            .init("name", .string(column.name)), .init("type", .string(column.type.rawValue)),
            .init("required", .bool(column.required)),
        ]
        func scalar(_ text: String) -> SchemaValue {
            if ColumnChecks.isNumeric(column.type), isJSONNumber(text) { return .number(text) }
            return .string(text)
        }
        if let format = column.format { members.append(.init("format", .string(format))) }
        if let values = column.trueValues { members.append(.init("trueValues", .array(values.map { .string($0) }))) }
        if let values = column.falseValues { members.append(.init("falseValues", .array(values.map { .string($0) }))) }
        if let format = column.numberFormat {
            if format.decimalChar != "." { members.append(.init("decimalChar", .string(format.decimalChar))) }
            if let group = format.groupChar { members.append(.init("groupChar", .string(group))) }
            if !format.bareNumber { members.append(.init("bareNumber", .bool(false))) }
        }
        let constraints = column.constraints
        if let values = constraints.enumValues { members.append(.init("enum", .array(values.map(scalar)))) }
        if let value = constraints.const { members.append(.init("const", scalar(value))) }
        if let pattern = constraints.pattern {
            members.append(.init("pattern", .string(pattern)))
            if !constraints.patternMatchesWholeValue { members.append(.init("patternMatches", .string("anywhere"))) }
        }
        if constraints.unique { members.append(.init("unique", .bool(true))) }
        if let length = constraints.minLength { members.append(.init("minLength", .number(String(length)))) }
        if let length = constraints.maxLength { members.append(.init("maxLength", .number(String(length)))) }
        for (key, bound) in [("minimum", constraints.minimum), ("maximum", constraints.maximum),
                             ("exclusiveMinimum", constraints.exclusiveMinimum),
                             ("exclusiveMaximum", constraints.exclusiveMaximum), ("multipleOf", constraints.multipleOf)] {
            if let bound { members.append(.init(key, isJSONNumber(bound) ? .number(bound) : .string(bound))) }
        }
        return .object(members)
    }

    /// Several schemas as one document (`{"schemas": [...]}`), pretty-printed JSON.
    public static func text(of schemas: [Schema]) -> String {
        let value: SchemaValue = schemas.count == 1
            ? Self.value(of: schemas[0]) : .object([.init("schemas", .array(schemas.map(Self.value(of:))))])
        return value.prettyJSON()
    }

    private static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { ValueChecks.isJSONNumber(UnsafeRawBufferPointer($0)) }
    }
}

extension SchemaValue {
    var isScalar: Bool {
        switch self {
        case .object, .array: return false
        default: return true
        }
    }

    /// JSON text with two-space indentation, keys in their order; objects and arrays of scalars on one line.
    func prettyJSON() -> String {
        var out = ""
        write(to: &out, indent: "")
        return out + "\n"
    }

    private func write(to out: inout String, indent: String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONText.appendString(text, to: &out)
        case .array(let elements):
            // Arrays of scalars stay on one line.
            if elements.allSatisfy(\.isScalar) {
                out += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { out += ", " }
                    element.write(to: &out, indent: indent)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += indent + "  "
                element.write(to: &out, indent: indent + "  ")
                out += index + 1 < elements.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members):
            // An object of scalars (a column) stays on one line.
            if members.allSatisfy({ if case .object = $0.value { return false }; return true }),
               members.allSatisfy({ if case .array(let elements) = $0.value { return elements.allSatisfy(\.isScalar) }; return true }) {
                out += "{"
                for (index, member) in members.enumerated() {
                    if index > 0 { out += ", " }
                    JSONText.appendString(member.key, to: &out)
                    out += ": "
                    member.value.write(to: &out, indent: indent)
                }
                out += "}"
                return
            }
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += indent + "  "
                JSONText.appendString(member.key, to: &out)
                out += ": "
                member.value.write(to: &out, indent: indent + "  ")
                out += index + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }
}
