/// The built-in schemas as JSON, shaped like Piing's `GET /api/external/schemas` response.
public enum SchemaCatalog {
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
