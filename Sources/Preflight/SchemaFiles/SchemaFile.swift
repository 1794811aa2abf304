#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Schema files: preflight's own format (`columns`), Frictionless Table Schema (`fields`), JSON
/// Schema (`properties`) and Piing's schema listing (`schemas` of `schemaType`s), told apart by
/// content, in JSON or YAML. Every refusal is one `SchemaError` naming the file, the JSON
/// path and the problem; nothing is ever skipped silently.
public enum SchemaFile {
    /// The schemas a file holds (one, or several in preflight's format).
    public static func load(path: String) throws(SchemaError) -> [Schema] {
        let input: InputBytes
        do {
            input = try InputBytes.reading(path: path)
        } catch {
            throw SchemaError(file: path, path: "", problem: "cannot read it: " + error.reason)
        }
        guard input.count <= 64 << 20 else { throw SchemaError(file: path, path: "", problem: "larger than 64 MB") }
        return try load(bytes: Array(input.bytes), name: path)
    }

    /// The schemas in a file's bytes; `name` names the file in errors.
    public static func load(bytes: [UInt8], name: String) throws(SchemaError) -> [Schema] {
        let root = SchemaNode(try parse(bytes, name: name), file: name)
        guard case .object = root.value else {
            throw root.failure("expected an object at the top, found \(root.value.kindName)")
        }
        if root.value["columns"] != nil { return [try PreflightSchemaFormat.schema(root)] }
        if let schemas = root["schemas"] {
            guard case .array(let elements) = schemas.value, !elements.isEmpty else {
                throw schemas.failure("expected a non-empty array of schemas")
            }
            _ = try root.members(known: ["$schema", "schemas"])
            var result: [Schema] = []
            for element in try schemas.array() {
                let schema = element.value["schemaType"] != nil
                    ? try PiingListingFormat.schema(element) : try PreflightSchemaFormat.schema(element)
                if result.contains(where: { $0.name == schema.name }) {
                    throw element.failure("a second schema named '\(schema.name)'")
                }
                result.append(schema)
            }
            return result
        }
        if root.value["fields"] != nil { return [try TableSchemaFormat.schema(root, fileName: name)] }
        if root.value["properties"] != nil || root.value["$schema"] != nil {
            return [try JSONSchemaFormat.schema(root, fileName: name)]
        }
        throw root.failure("not a schema: expected preflight's format (an object with 'columns', or 'schemas') or a Table Schema ('fields')")
    }

    /// JSON when the first byte that is not a space opens an object or an array, else YAML.
    static func parse(_ bytes: [UInt8], name: String) throws(SchemaError) -> SchemaValue {
        let first = bytes.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }.first
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            do {
                return try SchemaJSONParser.parse(bytes)
            } catch {
                throw SchemaError(file: name, path: "", problem: error.message)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SchemaError(file: name, path: "", problem: "not valid UTF-8")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .basic)
        } catch {
            throw SchemaError(file: name, path: "", problem: "invalid YAML: " + Self.oneLine("\(error)"))
        }
        guard let node else { throw SchemaError(file: name, path: "", problem: "empty") }
        return try value(of: node, path: "$", name: name)
    }

    /// A YAML node as the JSON it stands for: plain `true`/`false`, `null`/`~`/nothing and
    /// JSON numbers are those; every other scalar is a string (quote a value to keep it text).
    private static func value(of node: Node, path: String, name: String) throws(SchemaError) -> SchemaValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch scalar.string {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null", "~", "": return .null
            default:
                var bytes = Array(scalar.string.utf8)
                let isNumber = bytes.withUnsafeMutableBytes { ValueChecks.isJSONNumber(UnsafeRawBufferPointer($0)) }
                return isNumber ? .number(scalar.string) : .string(scalar.string)
            }
        case .mapping(let mapping):
            var members: [SchemaValue.Member] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw SchemaError(file: name, path: path, problem: "a key that is not text")
                }
                members.append(.init(keyScalar.string, try Self.value(of: value, path: path + "." + keyScalar.string, name: name)))
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [SchemaValue] = []
            for (index, element) in sequence.enumerated() {
                elements.append(try value(of: element, path: "\(path)[\(index)]", name: name))
            }
            return .array(elements)
        case .alias:
            throw SchemaError(file: name, path: path, problem: "YAML aliases are not supported")
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: " ") }.joined(separator: " ")
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result = result.dropFirst() }
        while result.last == set { result = result.dropLast() }
        return result
    }
}
