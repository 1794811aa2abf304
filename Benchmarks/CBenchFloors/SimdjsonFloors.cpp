// Benchmark floors over simdjson alone (preflight-bench only; not part of the product).
// Error codes, never exceptions: every entry point catches what the standard library may throw.
#include "CBenchFloors.h"

#include <simdjson.h>

#include <cstring>
#include <utility>
#include <string_view>

using namespace simdjson;

extern "C" {

namespace {
// Reads every field of an object as a raw token: what any validator must at least do.
error_code read_fields(ondemand::object object, size_t &fields) {
    for (auto field_result : object) {
        ondemand::field field;
        error_code error = std::move(field_result).get(field);
        if (error) return error;
        std::string_view key;
        if ((error = field.unescaped_key().get(key))) return error;
        std::string_view token = field.value().raw_json_token();
        if (token.empty()) return TAPE_ERROR;
        fields++;
    }
    return SUCCESS;
}
}  // namespace

size_t bench_simdjson_lines(const void *bytes, size_t length, size_t capacity) {
    if (bytes == nullptr || capacity < length + SIMDJSON_PADDING) return static_cast<size_t>(-1);
    try {
        ondemand::parser parser;
        const char *text = static_cast<const char *>(bytes);
        size_t fields = 0, position = 0;
        while (position < length) {
            const void *found = std::memchr(text + position, '\n', length - position);
            size_t end = found ? static_cast<size_t>(static_cast<const char *>(found) - text) : length;
            if (end > position) {
                // Bad lines are part of the data: they cost what they cost, and reading goes on.
                ondemand::document document;
                if (!parser.iterate(text + position, end - position, capacity - position).get(document)) {
                    ondemand::object object;
                    if (!document.get_object().get(object)) (void)read_fields(object, fields);
                }
            }
            position = end + 1;
        }
        return fields;
    } catch (...) {
        return static_cast<size_t>(-1);
    }
}

size_t bench_simdjson_array(const void *bytes, size_t length, size_t capacity) {
    if (bytes == nullptr || capacity < length + SIMDJSON_PADDING) return static_cast<size_t>(-1);
    try {
        ondemand::parser parser;
        ondemand::document document;
        if (parser.iterate(static_cast<const char *>(bytes), length, capacity).get(document)) {
            return static_cast<size_t>(-1);
        }
        ondemand::array array;
        if (document.get_array().get(array)) return static_cast<size_t>(-1);
        size_t fields = 0;
        for (auto element_result : array) {
            ondemand::value element;
            if (std::move(element_result).get(element)) return static_cast<size_t>(-1);
            ondemand::object object;
            if (!element.get_object().get(object)) (void)read_fields(object, fields);
        }
        return fields;
    } catch (...) {
        return static_cast<size_t>(-1);
    }
}

}  // extern "C"
