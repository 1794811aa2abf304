// CSimdJSON: a small, plain C API over simdjson's C++ On-Demand API (Debian libsimdjson-dev).
//
// No C++ types cross this header and no exception leaves the shim. Each call does a whole unit of
// work (one NDJSON line, one JSON array element) and returns the object flattened into field
// spans over an arena the parser owns: nested objects become dot-joined keys, arrays their
// compact JSON text, strings their unescaped bytes, numbers and booleans their literal text.
#ifndef CSIMDJSON_H
#define CSIMDJSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csj_parser csj_parser;

enum {
    CSJ_OK = 0,                 ///< an element is available
    CSJ_END = 1,                ///< the records array is finished and the whole document checked
    CSJ_SYNTAX = 2,             ///< not valid JSON
    CSJ_CONTROL_CHARACTER = 3,  ///< a raw U+0000..U+001F inside a string
    CSJ_INVALID_UTF8 = 4,
    CSJ_WRONG_SHAPE = 5,        ///< valid JSON, but no array of records at the top
    CSJ_NOT_AN_OBJECT = 6,      ///< valid JSON value that is not an object (fields are empty)
    CSJ_BAD_ARGUMENT = 7,
    CSJ_OUT_OF_MEMORY = 8,
};

enum {
    CSJ_KIND_STRING = 0,
    CSJ_KIND_NUMBER = 1,
    CSJ_KIND_BOOLEAN = 2,
    CSJ_KIND_NULL = 3,
    CSJ_KIND_ARRAY = 4,
};

/// One flattened attribute. Key and value bytes point into the input, the parser's string
/// buffer or its arena; all stay valid until the next call on the same parser.
typedef struct {
    const uint8_t *key;
    size_t key_length;
    const uint8_t *value;
    size_t value_length;
    int kind;
} csj_field;

#define CSJ_NO_OFFSET ((size_t)-1)

/// What a call produced. Pointers stay valid until the next call on the same parser.
typedef struct {
    const csj_field *fields;
    size_t field_count;
    size_t start_offset;     ///< element: first byte in the document
    size_t end_offset;       ///< element: one past its last byte
    size_t error_offset;     ///< on an error: byte offset in the input, or CSJ_NO_OFFSET
    const char *error_message;  ///< on an error: simdjson's message (static storage)
} csj_result;

/// Bytes of readable padding simdjson needs after the input (SIMDJSON_PADDING).
size_t csj_padding(void);

/// 1 when the bytes are valid UTF-8, else 0.
int csj_validate_utf8(const void *bytes, size_t length);

csj_parser *csj_parser_create(void);
void csj_parser_destroy(csj_parser *parser);

/// Parses one complete JSON text that should be an object (an NDJSON line) and flattens it.
/// `capacity` is the number of readable bytes at `bytes`; it must be >= length + csj_padding().
/// Returns CSJ_OK, CSJ_NOT_AN_OBJECT, or an error.
int csj_parse_object(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                     csj_result *out);

/// Starts a JSON document whose records are a top-level array, or the array under the first of
/// `data`, `records`, `items`, `rows` that holds one. Returns CSJ_OK or an error. The buffer must
/// stay alive and unchanged until the document is finished.
int csj_document_begin(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                       csj_result *out);

/// The next element of the records array: CSJ_OK (an object), CSJ_NOT_AN_OBJECT, CSJ_END, or an
/// error (which ends the document).
int csj_document_next(csj_parser *parser, csj_result *out);


#ifdef __cplusplus
}
#endif

#endif
