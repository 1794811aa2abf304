// The only C++ in preflight: simdjson On-Demand behind the plain C API of CSimdJSON.h.
// Error codes, never exceptions: every entry point catches what the standard library may throw.
#include "CSimdJSON.h"

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

using namespace simdjson;

namespace {

// Nesting deeper than this is refused (DEPTH_ERROR). It stays well under the parser's own
// max_depth (1024 by default), which On-Demand does not enforce by itself in this version.
constexpr int kMaxDepth = 512;
const char *const kWrapperNames[4] = {"data", "records", "items", "rows"};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_right(std::string_view token) {
    while (!token.empty() && is_json_space(token.back())) token.remove_suffix(1);
    return token;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar; On-Demand does not check a number it only reads as a raw token.
bool is_json_number(std::string_view t) {
    size_t i = 0, n = t.size();
    if (i < n && t[i] == '-') i++;
    if (i >= n) return false;
    if (t[i] == '0') {
        i++;
    } else if (t[i] >= '1' && t[i] <= '9') {
        while (i < n && is_digit(t[i])) i++;
    } else {
        return false;
    }
    if (i < n && t[i] == '.') {
        size_t start = ++i;
        while (i < n && is_digit(t[i])) i++;
        if (i == start) return false;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-')) i++;
        size_t start = i;
        while (i < n && is_digit(t[i])) i++;
        if (i == start) return false;
    }
    return i == n;
}

void append_json_string(std::string *out, std::string_view s) {
    if (out == nullptr) return;
    out->push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"': out->append("\\\""); break;
            case '\\': out->append("\\\\"); break;
            case '\n': out->append("\\n"); break;
            case '\r': out->append("\\r"); break;
            case '\t': out->append("\\t"); break;
            case '\b': out->append("\\b"); break;
            case '\f': out->append("\\f"); break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out->append(escaped);
                } else {
                    out->push_back(static_cast<char>(c));
                }
        }
    }
    out->push_back('"');
}

void append(std::string *out, std::string_view s) {
    if (out != nullptr) out->append(s.data(), s.size());
}

// Reads a whole value, checking it completely; writes its compact JSON text to `out` if given.
error_code write_compact(ondemand::value value, std::string *out, int depth) {
    if (depth > kMaxDepth) return DEPTH_ERROR;
    ondemand::json_type type;
    error_code error = value.type().get(type);
    if (error) return error;
    switch (type) {
        case ondemand::json_type::array: {
            ondemand::array array;
            if ((error = value.get_array().get(array))) return error;
            append(out, "[");
            bool first = true;
            for (auto element_result : array) {
                ondemand::value element;
                if ((error = element_result.get(element))) return error;
                if (!first) append(out, ",");
                first = false;
                if ((error = write_compact(element, out, depth + 1))) return error;
            }
            append(out, "]");
            return SUCCESS;
        }
        case ondemand::json_type::object: {
            ondemand::object object;
            if ((error = value.get_object().get(object))) return error;
            append(out, "{");
            bool first = true;
            for (auto field_result : object) {
                ondemand::field field;
                if ((error = std::move(field_result).get(field))) return error;
                std::string_view key;
                if ((error = field.unescaped_key().get(key))) return error;
                if (!first) append(out, ",");
                first = false;
                append_json_string(out, key);
                append(out, ":");
                if ((error = write_compact(field.value(), out, depth + 1))) return error;
            }
            append(out, "}");
            return SUCCESS;
        }
        case ondemand::json_type::string: {
            std::string_view text;
            if ((error = value.get_string().get(text))) return error;
            append_json_string(out, text);
            return SUCCESS;
        }
        case ondemand::json_type::number: {
            std::string_view token = trim_right(value.raw_json_token());
            if (!is_json_number(token)) return NUMBER_ERROR;
            append(out, token);
            return SUCCESS;
        }
        case ondemand::json_type::boolean: {
            bool flag;
            if ((error = value.get_bool().get(flag))) return error;
            append(out, flag ? "true" : "false");
            return SUCCESS;
        }
        case ondemand::json_type::null: {
            bool is_null;
            if ((error = value.is_null().get(is_null))) return error;
            if (!is_null) return N_ATOM_ERROR;
            append(out, "null");
            return SUCCESS;
        }
    }
    return TAPE_ERROR;
}

}  // namespace

struct csj_parser {
    ondemand::parser parser;
    ondemand::document document;
    ondemand::array records;
    ondemand::array_iterator next_record;
    ondemand::array_iterator end_of_records;
    bool in_document = false;
    bool records_are_root = false;  // then nothing may follow the array
    const char *base = nullptr;
    size_t length = 0;
    // A field before publication: bytes either at a stable pointer or at an arena offset (the
    // arena may move while it grows).
    struct pending_field {
        const char *key;        // null: key_offset into the arena
        size_t key_offset;
        size_t key_length;
        const char *value;      // null: value_offset into the arena
        size_t value_offset;
        size_t value_length;
        int kind;
    };
    std::string arena;                  // keys of nested attributes, arrays' compact text
    std::vector<pending_field> pending;
    std::vector<csj_field> fields;
    std::string key;

    void clear_row() {
        arena.clear();
        pending.clear();
        fields.clear();
        key.clear();
    }

    // Flattens an object into `fields`: nested objects become dot-joined keys.
    error_code flatten(ondemand::object object, size_t prefix_length, int depth) {
        if (depth > kMaxDepth) return DEPTH_ERROR;
        error_code error;
        for (auto field_result : object) {
            ondemand::field field;
            if ((error = std::move(field_result).get(field))) return error;
            std::string_view name;
            if ((error = field.unescaped_key().get(name))) return error;
            // A top-level key is used where simdjson put it; a nested one is built as prefix.key.
            if (prefix_length > 0) {
                key.resize(prefix_length);
                key.push_back('.');
                key.append(name.data(), name.size());
            }
            ondemand::value value = field.value();
            ondemand::json_type type;
            if ((error = value.type().get(type))) return error;
            if (type == ondemand::json_type::object) {
                if (prefix_length == 0) key.assign(name.data(), name.size());
                ondemand::object inner;
                if ((error = value.get_object().get(inner))) return error;
                if ((error = flatten(inner, key.size(), depth + 1))) return error;
                continue;
            }
            pending_field out{};
            if (prefix_length == 0) {
                out.key = name.data();  // the parser's string buffer: stable until the next parse
                out.key_length = name.size();
            } else {
                out.key_offset = arena.size();
                out.key_length = key.size();
                arena.append(key);
            }
            switch (type) {
                case ondemand::json_type::array:
                    out.kind = CSJ_KIND_ARRAY;
                    out.value_offset = arena.size();
                    if ((error = write_compact(value, &arena, depth + 1))) return error;
                    out.value_length = arena.size() - out.value_offset;
                    break;
                case ondemand::json_type::string: {
                    out.kind = CSJ_KIND_STRING;
                    std::string_view text;
                    if ((error = value.get_string().get(text))) return error;
                    out.value = text.data() != nullptr ? text.data() : "";
                    out.value_length = text.size();
                    break;
                }
                case ondemand::json_type::number: {
                    out.kind = CSJ_KIND_NUMBER;
                    std::string_view token = trim_right(value.raw_json_token());
                    if (!is_json_number(token)) return NUMBER_ERROR;
                    out.value = token.data();  // the input itself
                    out.value_length = token.size();
                    break;
                }
                case ondemand::json_type::boolean: {
                    out.kind = CSJ_KIND_BOOLEAN;
                    bool flag;
                    if ((error = value.get_bool().get(flag))) return error;
                    out.value = flag ? "true" : "false";
                    out.value_length = flag ? 4 : 5;
                    break;
                }
                case ondemand::json_type::null:
                    out.kind = CSJ_KIND_NULL;
                    if ((error = write_compact(value, nullptr, depth + 1))) return error;
                    out.value = "";
                    break;
                case ondemand::json_type::object:
                    break;
            }
            pending.push_back(out);
        }
        return SUCCESS;
    }

    // Checks a root value that is not an object, without keeping it.
    error_code check_root_value(ondemand::json_type type) {
        error_code error;
        switch (type) {
            case ondemand::json_type::array: {
                ondemand::value value;
                if ((error = document.get_value().get(value))) return error;
                return write_compact(value, nullptr, 1);
            }
            case ondemand::json_type::string: {
                std::string_view text;
                return document.get_string().get(text);
            }
            case ondemand::json_type::boolean: {
                bool flag;
                return document.get_bool().get(flag);
            }
            case ondemand::json_type::null: {
                bool is_null;
                if ((error = document.is_null().get(is_null))) return error;
                return is_null ? SUCCESS : N_ATOM_ERROR;
            }
            case ondemand::json_type::number: {
                std::string_view token;
                if ((error = document.raw_json_token().get(token))) return error;
                // The token runs to the next structural character: anything after it is extra.
                if (token.data() + token.size() != base + length) return TRAILING_CONTENT;
                return is_json_number(trim_right(token)) ? SUCCESS : NUMBER_ERROR;
            }
            case ondemand::json_type::object:
                return SUCCESS;
        }
        return TAPE_ERROR;
    }

    // After the root value is consumed, nothing but whitespace may remain.
    error_code check_at_end() {
        const char *location = nullptr;
        if (document.current_location().get(location) == SUCCESS) return TRAILING_CONTENT;
        return SUCCESS;
    }

    int fail(error_code error, csj_result *out) {
        in_document = false;
        out->error_message = error_message(error);
        const char *location = nullptr;
        if (error != UTF8_ERROR && error != UNESCAPED_CHARS &&
            document.current_location().get(location) == SUCCESS && location >= base &&
            location <= base + length) {
            out->error_offset = static_cast<size_t>(location - base);
        }
        switch (error) {
            case UNESCAPED_CHARS: return CSJ_CONTROL_CHARACTER;
            case UTF8_ERROR: return CSJ_INVALID_UTF8;
            case MEMALLOC: return CSJ_OUT_OF_MEMORY;
            default: return CSJ_SYNTAX;
        }
    }

    void publish(csj_result *out) {
        fields.clear();
        const char *base_of_arena = arena.data();
        for (const pending_field &field : pending) {
            csj_field published;
            published.key = reinterpret_cast<const uint8_t *>(field.key ? field.key : base_of_arena + field.key_offset);
            published.key_length = field.key_length;
            published.value =
                reinterpret_cast<const uint8_t *>(field.value ? field.value : base_of_arena + field.value_offset);
            published.value_length = field.value_length;
            published.kind = field.kind;
            fields.push_back(published);
        }
        out->fields = fields.data();
        out->field_count = fields.size();
    }

    int start(const void *bytes, size_t byte_length, size_t capacity, csj_result *out) {
        in_document = false;
        document = ondemand::document();
        clear_row();
        base = static_cast<const char *>(bytes);
        length = byte_length;
        publish(out);
        error_code error = parser.iterate(base, length, capacity).get(document);
        if (error) {
            out->error_message = error_message(error);
            switch (error) {
                case UNESCAPED_CHARS: return CSJ_CONTROL_CHARACTER;
                case UTF8_ERROR: return CSJ_INVALID_UTF8;
                case MEMALLOC: return CSJ_OUT_OF_MEMORY;
                default: return CSJ_SYNTAX;
            }
        }
        return CSJ_OK;
    }

    int parse_object(const void *bytes, size_t byte_length, size_t capacity, csj_result *out) {
        int status = start(bytes, byte_length, capacity, out);
        if (status != CSJ_OK) return status;
        ondemand::json_type type;
        error_code error = document.type().get(type);
        if (error) return fail(error, out);
        if (type != ondemand::json_type::object) {
            if ((error = check_root_value(type))) return fail(error, out);
            if (type != ondemand::json_type::number && (error = check_at_end())) return fail(error, out);
            return CSJ_NOT_AN_OBJECT;
        }
        ondemand::object object;
        if ((error = document.get_object().get(object))) return fail(error, out);
        if ((error = flatten(object, 0, 1))) return fail(error, out);
        if ((error = check_at_end())) return fail(error, out);
        publish(out);
        return CSJ_OK;
    }

    int begin_document(const void *bytes, size_t byte_length, size_t capacity, csj_result *out) {
        int status = start(bytes, byte_length, capacity, out);
        if (status != CSJ_OK) return status;
        ondemand::json_type type;
        error_code error = document.type().get(type);
        if (error) return fail(error, out);
        if (type == ondemand::json_type::array) {
            if ((error = document.get_array().get(records))) return fail(error, out);
            records_are_root = true;
        } else if (type == ondemand::json_type::object) {
            // Pass 1 checks the whole document and finds the wrapper; pass 2 stops at it.
            long last_index[4] = {-1, -1, -1, -1};
            bool last_is_array[4] = {false, false, false, false};
            ondemand::object object;
            if ((error = document.get_object().get(object))) return fail(error, out);
            long index = 0;
            for (auto field_result : object) {
                ondemand::field field;
                if ((error = std::move(field_result).get(field))) return fail(error, out);
                std::string_view name;
                if ((error = field.unescaped_key().get(name))) return fail(error, out);
                ondemand::json_type member_type;
                if ((error = field.value().type().get(member_type))) return fail(error, out);
                for (int i = 0; i < 4; i++) {
                    if (name == kWrapperNames[i]) {
                        last_index[i] = index;
                        last_is_array[i] = member_type == ondemand::json_type::array;
                    }
                }
                if ((error = write_compact(field.value(), nullptr, 2))) return fail(error, out);
                index++;
            }
            if ((error = check_at_end())) return fail(error, out);
            long chosen = -1;
            for (int i = 0; i < 4 && chosen < 0; i++) {
                if (last_index[i] >= 0 && last_is_array[i]) chosen = last_index[i];
            }
            if (chosen < 0) return CSJ_WRONG_SHAPE;
            document.rewind();
            if ((error = document.get_object().get(object))) return fail(error, out);
            index = 0;
            bool found = false;
            for (auto field_result : object) {
                ondemand::field field;
                if ((error = std::move(field_result).get(field))) return fail(error, out);
                if (index == chosen) {
                    if ((error = field.value().get_array().get(records))) return fail(error, out);
                    found = true;
                    break;
                }
                index++;
            }
            if (!found) return CSJ_WRONG_SHAPE;
            records_are_root = false;
        } else {
            if ((error = check_root_value(type))) return fail(error, out);
            if (type != ondemand::json_type::number && (error = check_at_end())) return fail(error, out);
            return CSJ_WRONG_SHAPE;
        }
        if ((error = records.begin().get(next_record))) return fail(error, out);
        if ((error = records.end().get(end_of_records))) return fail(error, out);
        in_document = true;
        return CSJ_OK;
    }

    int next_element(csj_result *out) {
        clear_row();
        publish(out);
        if (!in_document) return CSJ_BAD_ARGUMENT;
        if (!(next_record != end_of_records)) {
            in_document = false;
            if (records_are_root) {
                error_code error = check_at_end();
                if (error) return fail(error, out);
            }
            return CSJ_END;
        }
        ondemand::value element;
        error_code error = (*next_record).get(element);
        if (error) return fail(error, out);
        std::string_view token = element.raw_json_token();
        out->start_offset = static_cast<size_t>(token.data() - base);
        ondemand::json_type type;
        if ((error = element.type().get(type))) return fail(error, out);
        bool is_object = type == ondemand::json_type::object;
        if (is_object) {
            ondemand::object object;
            if ((error = element.get_object().get(object))) return fail(error, out);
            if ((error = flatten(object, 0, 2))) return fail(error, out);
        } else if ((error = write_compact(element, nullptr, 2))) {
            return fail(error, out);
        }
        if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
            // Fully read: the document now stands on the `,` or `]` after the element.
            const char *location = nullptr;
            if ((error = document.current_location().get(location))) return fail(error, out);
            size_t end = static_cast<size_t>(location - base);
            while (end > out->start_offset && is_json_space(base[end - 1])) end--;
            out->end_offset = end;
        } else {
            out->end_offset = out->start_offset + trim_right(token).size();
        }
        ++next_record;
        publish(out);
        return is_object ? CSJ_OK : CSJ_NOT_AN_OBJECT;
    }
};

namespace {
void clear_result(csj_result *out) {
    out->fields = nullptr;
    out->field_count = 0;
    out->start_offset = 0;
    out->end_offset = 0;
    out->error_offset = CSJ_NO_OFFSET;
    out->error_message = nullptr;
}

bool valid_input(const void *bytes, size_t length, size_t capacity) {
    return bytes != nullptr && capacity >= length && capacity - length >= SIMDJSON_PADDING;
}
}  // namespace

extern "C" {

size_t csj_padding(void) { return SIMDJSON_PADDING; }

int csj_validate_utf8(const void *bytes, size_t length) {
    if (length == 0) return 1;
    if (bytes == nullptr) return 0;
    return simdjson::validate_utf8(static_cast<const char *>(bytes), length) ? 1 : 0;
}

csj_parser *csj_parser_create(void) {
    try {
        return new csj_parser();
    } catch (...) {
        return nullptr;
    }
}

void csj_parser_destroy(csj_parser *parser) { delete parser; }

int csj_parse_object(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                     csj_result *out) {
    if (out == nullptr) return CSJ_BAD_ARGUMENT;
    clear_result(out);
    if (parser == nullptr || !valid_input(bytes, length, capacity)) return CSJ_BAD_ARGUMENT;
    try {
        return parser->parse_object(bytes, length, capacity, out);
    } catch (...) {
        return CSJ_OUT_OF_MEMORY;
    }
}

int csj_document_begin(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                       csj_result *out) {
    if (out == nullptr) return CSJ_BAD_ARGUMENT;
    clear_result(out);
    if (parser == nullptr || !valid_input(bytes, length, capacity)) return CSJ_BAD_ARGUMENT;
    try {
        return parser->begin_document(bytes, length, capacity, out);
    } catch (...) {
        return CSJ_OUT_OF_MEMORY;
    }
}

int csj_document_next(csj_parser *parser, csj_result *out) {
    if (out == nullptr) return CSJ_BAD_ARGUMENT;
    clear_result(out);
    if (parser == nullptr) return CSJ_BAD_ARGUMENT;
    try {
        return parser->next_element(out);
    } catch (...) {
        return CSJ_OUT_OF_MEMORY;
    }
}

}  // extern "C"
