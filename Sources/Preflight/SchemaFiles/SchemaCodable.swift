/// `Schema` is `Codable` in preflight's schema format: encoding writes what `schemas --as
/// preflight` prints, decoding reads it through the same loader (and the same refusals). Numbers
/// decoded from a `Decoder` come as the decoder gives them (JSONDecoder: through `Double`), so
/// bounds are best written as strings there; schema files keep every digit.
extension Schema: Codable {
    public init(from decoder: any Decoder) throws {
        let value = try SchemaValue(from: decoder)
        self = try PreflightSchemaFormat.schema(SchemaNode(value, file: "decoded schema"))
    }

    public func encode(to encoder: any Encoder) throws {
        try PreflightSchemaFormat.value(of: self).encode(to: encoder)
    }
}

extension SchemaValue: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self) {
            // Keyed containers do not keep the order of keys; preflight's format orders columns by array.
            var members: [Member] = []
            for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                members.append(Member(key.stringValue, try container.decode(SchemaValue.self, forKey: key)))
            }
            self = .object(members)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [SchemaValue] = []
            while !container.isAtEnd { elements.append(try container.decode(SchemaValue.self)) }
            self = .array(elements)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? single.decode(Int64.self) {
            self = .number(String(integer))
        } else if let number = try? single.decode(Double.self) {
            self = .number(number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number))
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case .number(let text):
            var single = encoder.singleValueContainer()
            if let integer = Int64(text) { try single.encode(integer) } else { try single.encode(text) }
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for member in members { try container.encode(member.value, forKey: Key(stringValue: member.key)) }
        }
    }
}
