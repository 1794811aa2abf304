// The only C++ in preflight: simdjson On-Demand behind the plain C API of CSimdJSON.h.
// Error codes, never exceptions: every entry point catches what the standard library may throw.
#include "CSimdJSON.h"

#include <simdjson.h>

#include <utility>
#include <string_view>
#include <vector>

using namespace simdjson;

namespace {

// Nesting deeper than this is refused (DEPTH_ERROR). It stays well under the parser's own
// max_depth (1024 by default), which On-Demand does not enforce by itself in this version.
constexpr int kMaxDepth = 512;

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

// Reads a whole value, checking it completely (On-Demand checks only what is read): every
// string, literal and number, at any depth.
error_code check_value(ondemand::value value, int depth) {
    if (depth > kMaxDepth) return DEPTH_ERROR;
    ondemand::json_type type;
    error_code error = value.type().get(type);
    if (error) return error;
    switch (type) {
        case ondemand::json_type::array: {
            ondemand::array array;
            if ((error = value.get_array().get(array))) return error;
            for (auto element_result : array) {
                ondemand::value element;
                if ((error = element_result.get(element))) return error;
                if ((error = check_value(element, depth + 1))) return error;
            }
            return SUCCESS;
        }
        case ondemand::json_type::object: {
            ondemand::object object;
            if ((error = value.get_object().get(object))) return error;
            for (auto field_result : object) {
                ondemand::field field;
                if ((error = std::move(field_result).get(field))) return error;
                std::string_view key;
                if ((error = field.unescaped_key().get(key))) return error;
                if ((error = check_value(field.value(), depth + 1))) return error;
            }
            return SUCCESS;
        }
        case ondemand::json_type::string: {
            std::string_view text;
            return value.get_string().get(text);
        }
        case ondemand::json_type::number: {
            std::string_view token = trim_right(value.raw_json_token());
            return is_json_number(token) ? SUCCESS : NUMBER_ERROR;
        }
        case ondemand::json_type::boolean: {
            bool flag;
            return value.get_bool().get(flag);
        }
        case ondemand::json_type::null: {
            bool is_null;
            if ((error = value.is_null().get(is_null))) return error;
            return is_null ? SUCCESS : N_ATOM_ERROR;
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
    std::vector<csj_entry> entries;

    // Where the value just read ends: the document stands on the next token; whitespace before it
    // is not the value's.
    size_t end_of_value(size_t start) {
        const char *location = nullptr;
        size_t end = document.current_location().get(location) == SUCCESS ? static_cast<size_t>(location - base) : length;
        while (end > start && is_json_space(base[end - 1])) end--;
        return end;
    }

    static const uint8_t *bytes_of(const char *text) { return reinterpret_cast<const uint8_t *>(text); }

    // Lists an object's members in order, each with its depth; a member that is an object is
    // listed (kind CSJ_KIND_OBJECT) before its own members, unless `nested` is false (then it is
    // only checked). Every value is checked completely.
    error_code list(ondemand::object object, int depth, bool nested) {
        if (depth > kMaxDepth) return DEPTH_ERROR;
        error_code error;
        for (auto field_result : object) {
            ondemand::field field;
            if ((error = std::move(field_result).get(field))) return error;
            std::string_view name;
            if ((error = field.unescaped_key().get(name))) return error;
            ondemand::value value = field.value();
            ondemand::json_type type;
            if ((error = value.type().get(type))) return error;
            csj_entry entry{};
            entry.key = bytes_of(name.data());  // the parser's string buffer: stable until the next parse
            entry.key_length = name.size();
            entry.depth = depth;
            switch (type) {
                case ondemand::json_type::object: {
                    entry.kind = CSJ_KIND_OBJECT;
                    entry.value = bytes_of("");
                    entries.push_back(entry);
                    if (!nested) {
                        if ((error = check_value(value, depth + 1))) return error;
                        continue;
                    }
                    ondemand::object inner;
                    if ((error = value.get_object().get(inner))) return error;
                    if ((error = list(inner, depth + 1, true))) return error;
                    continue;
                }
                case ondemand::json_type::array: {
                    entry.kind = CSJ_KIND_ARRAY;
                    const char *start = value.raw_json_token().data();
                    if ((error = check_value(value, depth + 1))) return error;
                    size_t offset = static_cast<size_t>(start - base);
                    entry.value = bytes_of(start);
                    entry.value_length = end_of_value(offset) - offset;
                    break;
                }
                case ondemand::json_type::string: {
                    entry.kind = CSJ_KIND_STRING;
                    std::string_view text;
                    if ((error = value.get_string().get(text))) return error;
                    entry.value = text.data() != nullptr ? bytes_of(text.data()) : bytes_of("");
                    entry.value_length = text.size();
                    break;
                }
                case ondemand::json_type::number: {
                    entry.kind = CSJ_KIND_NUMBER;
                    std::string_view token = trim_right(value.raw_json_token());
                    if (!is_json_number(token)) return NUMBER_ERROR;
                    entry.value = bytes_of(token.data());  // the input itself
                    entry.value_length = token.size();
                    break;
                }
                case ondemand::json_type::boolean: {
                    entry.kind = CSJ_KIND_BOOLEAN;
                    bool flag;
                    if ((error = value.get_bool().get(flag))) return error;
                    entry.value = bytes_of(flag ? "true" : "false");
                    entry.value_length = flag ? 4 : 5;
                    break;
                }
                case ondemand::json_type::null:
                    entry.kind = CSJ_KIND_NULL;
                    if ((error = check_value(value, depth + 1))) return error;
                    entry.value = bytes_of("");
                    break;
            }
            entries.push_back(entry);
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
                return check_value(value, 1);
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
        out->entries = entries.data();
        out->entry_count = entries.size();
    }

    int start(const void *bytes, size_t byte_length, size_t capacity, csj_result *out) {
        in_document = false;
        document = ondemand::document();
        entries.clear();
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
        if ((error = list(object, 1, true))) return fail(error, out);
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
            // The whole document is checked; its members are listed for the caller to choose
            // the records array from (`csj_document_enter`).
            ondemand::object object;
            if ((error = document.get_object().get(object))) return fail(error, out);
            if ((error = list(object, 1, false))) return fail(error, out);
            if ((error = check_at_end())) return fail(error, out);
            publish(out);
            return CSJ_OBJECT;
        } else {
            if ((error = check_root_value(type))) return fail(error, out);
            if (type != ondemand::json_type::number && (error = check_at_end())) return fail(error, out);
            return CSJ_WRONG_SHAPE;
        }
        return enter_records(out);
    }

    // Reads the records from the array of the root object's member `member` (counted from 0).
    int enter_member(size_t member, csj_result *out) {
        document.rewind();
        ondemand::object object;
        error_code error = document.get_object().get(object);
        if (error) return fail(error, out);
        size_t index = 0;
        for (auto field_result : object) {
            ondemand::field field;
            if ((error = std::move(field_result).get(field))) return fail(error, out);
            if (index == member) {
                if (field.value().get_array().get(records) != SUCCESS) return CSJ_WRONG_SHAPE;
                records_are_root = false;
                return enter_records(out);
            }
            index++;
        }
        return CSJ_WRONG_SHAPE;
    }

    int enter_records(csj_result *out) {
        error_code error;
        if ((error = records.begin().get(next_record))) return fail(error, out);
        if ((error = records.end().get(end_of_records))) return fail(error, out);
        in_document = true;
        return CSJ_OK;
    }

    int next_element(csj_result *out) {
        entries.clear();
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
            if ((error = list(object, 2, true))) return fail(error, out);
        } else if ((error = check_value(element, 2))) {
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
    out->entries = nullptr;
    out->entry_count = 0;
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

int csj_document_enter(csj_parser *parser, size_t member, csj_result *out) {
    if (out == nullptr) return CSJ_BAD_ARGUMENT;
    clear_result(out);
    if (parser == nullptr) return CSJ_BAD_ARGUMENT;
    try {
        return parser->enter_member(member, out);
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
