/// Piing's `GET /api/external/schemas` response saved to a file (what `preflight schemas` prints):
/// `{"schemas": [{"schemaType", "idField", "requiredColumns", "optionalColumns",
/// "acceptsOtherColumns"}]}`. A column is a name or `{"name", "type", "constraint"}`; without a
/// type it is typed from the built-in catalogue where a built-in schema has a column of that name
/// (the same schema first), else it is a string.
enum PiingListingFormat {
    static let schemaKeys: Set<String> = [
        "schemaType", "idField", "requiredColumns", "optionalColumns", "acceptsOtherColumns", "description", "name",
    ]
    static let columnKeys: Set<String> = ["name", "type", "constraint", "description"]

    static func schema(_ node: SchemaNode) throws(SchemaError) -> Schema {
        let members = try node.members(known: schemaKeys)
        guard let typeNode = members["schemaType"] else { throw node.failure("a listed schema needs 'schemaType'") }
        let name = try typeNode.string()
        guard !name.isEmpty else { throw typeNode.failure("the schemaType is empty") }
        var columns: [Column] = []
        for (key, required) in [("requiredColumns", true), ("optionalColumns", false)] {
            for columnNode in try members[key]?.array() ?? [] {
                let column = try self.column(columnNode, required: required, schemaType: name)
                if columns.contains(where: { $0.name == column.name }) {
                    throw columnNode.failure("a second column named '\(column.name)'")
                }
                columns.append(column)
            }
        }
        var idColumns: [String] = []
        if let idNode = members["idField"] {
            let id = try idNode.string()
            guard columns.contains(where: { $0.name == id }) else { throw idNode.failure("'\(id)' is not one of the columns") }
            idColumns = [id]
        }
        let accepts = try members["acceptsOtherColumns"]?.bool() ?? false
        return Schema(name: name, columns: columns, idColumns: idColumns, otherColumns: accepts ? .allow : .notice)
    }

    private static func column(_ node: SchemaNode, required: Bool, schemaType: String) throws(SchemaError) -> Column {
        var name: String
        var typeNode: SchemaNode? = nil
        var constraintNode: SchemaNode? = nil
        if case .string(let text) = node.value {
            name = text
        } else {
            let members = try node.members(known: columnKeys)
            guard let nameNode = members["name"] else { throw node.failure("a column needs a 'name'") }
            name = try nameNode.string()
            typeNode = members["type"]
            constraintNode = members["constraint"]
        }
        guard !name.isEmpty else { throw node.failure("the name is empty") }
        let known = Schema.named(schemaType)?.columns.first { $0.name == name }
            ?? Schema.builtIn.lazy.compactMap { $0.columns.first { $0.name == name } }.first
        var type = known?.type ?? .string
        if let typeNode {
            let text = try typeNode.string()
            guard let given = ColumnType(rawValue: text) else {
                throw typeNode.failure("unknown type '\(text)' (expected one of " + ColumnType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            type = given
        }
        var constraints = Constraints()
        if let constraintNode {
            let text = try constraintNode.string()
            guard text == "> 0" else { throw constraintNode.failure("the constraint '\(text)' is not supported (only '> 0')") }
            constraints.exclusiveMinimum = "0"
        } else if typeNode == nil, let known {
            constraints = known.constraints
        }
        let column = Column(name, type, required: required, constraints: constraints)
        try ColumnValidation.check(column) { _ in constraintNode ?? node }
        return column
    }
}
