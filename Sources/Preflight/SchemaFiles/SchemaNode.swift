/// Why a schema file cannot be used: the file, where in it (a JSON path such as
/// `$.columns[2].type`), and what is wrong. Printed as one line; nothing is validated.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The schema file's path, or the name given with its bytes (``SchemaFile/load(bytes:name:)``).
    public let file: String
    /// Where in the file: a JSON path such as `$.columns[2].type` (YAML files too); empty when the
    /// problem is the file as a whole (unreadable, not JSON or YAML, empty).
    public let path: String
    /// What is wrong, in one line: `unknown keyword 'colour'`, …
    public let problem: String

    /// An error of your own about a schema file; the loaders make their own.
    public init(file: String, path: String, problem: String) {
        self.file = file
        self.path = path
        self.problem = problem
    }

    /// The error as one line: `FILE: PATH: PROBLEM`, or `FILE: PROBLEM` when the path is empty.
    public var description: String { path.isEmpty ? "\(file): \(problem)" : "\(file): \(path): \(problem)" }
}

/// A value of a schema file with where it is, so that every refusal names its place. The
/// loaders read schema files only through it.
struct SchemaNode {
    let value: SchemaValue
    let path: String
    let file: String

    init(_ value: SchemaValue, path: String = "$", file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    func failure(_ problem: String) -> SchemaError { SchemaError(file: file, path: path, problem: problem) }

    /// The member named `key` (its last copy), if present and not null.
    subscript(key: String) -> SchemaNode? {
        guard let member = value[key], member != .null else { return nil }
        return SchemaNode(member, path: path + "." + key, file: file)
    }

    /// The members of an object, refusing any key not in `known` (by name, so that nothing is
    /// silently ignored). `unsupported` keys get their own wording.
    func members(known: Set<String>, unsupported: Set<String> = []) throws(SchemaError) -> [String: SchemaNode] {
        guard case .object(let members) = value else { throw failure("expected an object, found \(value.kindName)") }
        var result: [String: SchemaNode] = [:]
        for member in members {
            let child = SchemaNode(member.value, path: path + "." + member.key, file: file)
            if unsupported.contains(member.key) {
                throw child.failure("'\(member.key)' is not supported by this version")
            }
            guard known.contains(member.key) else { throw child.failure("unknown keyword '\(member.key)'") }
            if member.value != .null { result[member.key] = child }
        }
        return result
    }

    func string() throws(SchemaError) -> String {
        guard case .string(let text) = value else { throw failure("expected a string, found \(value.kindName)") }
        return text
    }

    func bool() throws(SchemaError) -> Bool {
        guard case .bool(let flag) = value else { throw failure("expected true or false, found \(value.kindName)") }
        return flag
    }

    /// A whole number ≥ 0 (a length).
    func count() throws(SchemaError) -> Int {
        guard case .number(let text) = value, let number = Int(text), number >= 0 else {
            throw failure("expected a whole number of 0 or more")
        }
        return number
    }

    /// A number's decimal text: a JSON number, or a string holding one (kept exactly as written).
    func number() throws(SchemaError) -> String {
        switch value {
        case .number(let text): return text
        case .string(let text) where DecimalText(text) != nil: return text
        default: throw failure("expected a number, found \(value.kindName)")
        }
    }

    func array() throws(SchemaError) -> [SchemaNode] {
        guard case .array(let elements) = value else { throw failure("expected an array, found \(value.kindName)") }
        return elements.enumerated().map { SchemaNode($0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func strings() throws(SchemaError) -> [String] {
        var result: [String] = []
        for element in try array() { result.append(try element.string()) }
        return result
    }

    /// Scalars as the texts cells would hold (`enum`).
    func scalarTexts() throws(SchemaError) -> [String] {
        var values: [String] = []
        for element in try array() { values.append(try element.scalarText()) }
        return values
    }

    /// An id's columns: one name, or an array of names, each one of `columns` and named once.
    /// `kind` names the columns in messages (`columns`, `fields`, `properties`).
    func idColumns(among columns: [Column], kind: String, emptyMessage: String) throws(SchemaError) -> [String] {
        let names: [SchemaNode]
        if case .array = value { names = try array() } else { names = [self] }
        var ids: [String] = []
        for nameNode in names {
            let id = try nameNode.string()
            guard columns.contains(where: { $0.name == id }) else { throw nameNode.failure("'\(id)' is not one of the \(kind)") }
            guard !ids.contains(id) else { throw nameNode.failure("'\(id)' is named twice") }
            ids.append(id)
        }
        if ids.isEmpty { throw failure(emptyMessage) }
        return ids
    }

    /// The columns an array of column descriptions gives, `column` reading each; a name used
    /// twice is refused (`kind`: `column`, `field`).
    func columns(kind: String, _ column: (SchemaNode) throws(SchemaError) -> Column) throws(SchemaError) -> [Column] {
        var columns: [Column] = []
        for node in try array() {
            let next = try column(node)
            if columns.contains(where: { $0.name == next.name }) { throw node.failure("a second \(kind) named '\(next.name)'") }
            columns.append(next)
        }
        return columns
    }

    /// How a column's numbers are written (`decimalChar`, `groupChar`, `bareNumber`, as Table
    /// Schema spells them); nil when the members leave it plain.
    static func numberFormat(_ members: [String: SchemaNode]) throws(SchemaError) -> NumberFormat? {
        guard members["decimalChar"] != nil || members["groupChar"] != nil || members["bareNumber"] != nil else { return nil }
        let format = NumberFormat(decimalChar: try members["decimalChar"]?.string() ?? ".",
                                  groupChar: try members["groupChar"]?.string(),
                                  bareNumber: try members["bareNumber"]?.bool() ?? true)
        return format == NumberFormat() ? nil : format
    }

    /// A scalar as the text a cell would hold: strings as they are, numbers as written, booleans
    /// as `true`/`false` (enum and const values).
    func scalarText() throws(SchemaError) -> String {
        switch value {
        case .string(let text), .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        default: throw failure("expected a string, number or boolean, found \(value.kindName)")
        }
    }
}
