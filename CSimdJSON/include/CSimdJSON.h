// CSimdJSON: a small, plain C API over simdjson's C++ On-Demand API (Debian libsimdjson-dev).
//
// No C++ types cross this header and no exception leaves the shim. Each call parses and checks
// a whole unit (one NDJSON line, one JSON array element, a document's outline) and lists what it
// holds as entries whose bytes point into the input or the parser's string buffer. What those
// entries mean to preflight (dot-joined names, which wrapper holds the records, how an array is
// shown) is decided in Swift.
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
    CSJ_OBJECT = 9,             ///< the document is an object: its members are listed (depth 1)
};

enum {
    CSJ_KIND_STRING = 0,   ///< value: the unescaped bytes
    CSJ_KIND_NUMBER = 1,   ///< value: the number's text (checked against JSON's grammar)
    CSJ_KIND_BOOLEAN = 2,  ///< value: `true` or `false`
    CSJ_KIND_NULL = 3,     ///< value: empty
    CSJ_KIND_ARRAY = 4,    ///< value: the array's JSON text in the input, as written
    CSJ_KIND_OBJECT = 5,   ///< value: empty; the object's members follow, one level deeper
};

/// One member of an object. Members are listed in document order; a member whose value is an
/// object is followed by that object's members (depth + 1) when the call lists nested objects.
/// Bytes stay valid until the next call on the same parser (and while the input is unchanged).
typedef struct {
    const uint8_t *key;    ///< the unescaped key
    size_t key_length;
    const uint8_t *value;
    size_t value_length;
    int kind;              ///< CSJ_KIND_*
    int depth;             ///< 1 for a member of the outermost object listed
} csj_entry;

#define CSJ_NO_OFFSET ((size_t)-1)

/// What a call produced. Pointers stay valid until the next call on the same parser.
typedef struct {
    const csj_entry *entries;
    size_t entry_count;
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

/// Parses one complete JSON text that should be an object (an NDJSON line), checks all of it and
/// lists its members, nested objects' members included.
/// `capacity` is the number of readable bytes at `bytes`; it must be >= length + csj_padding().
/// Returns CSJ_OK, CSJ_NOT_AN_OBJECT (a valid value that is not an object), or an error.
int csj_parse_object(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                     csj_result *out);

/// Starts a JSON document. A top-level array: CSJ_OK, its elements come from csj_document_next.
/// A top-level object: the whole document is checked and CSJ_OBJECT returned with the object's
/// members listed (depth 1 only, nested objects checked but not listed); the caller picks the
/// member holding the records with csj_document_enter. Any other valid value: CSJ_WRONG_SHAPE.
/// The buffer must stay alive and unchanged until the document is finished.
int csj_document_begin(csj_parser *parser, const void *bytes, size_t length, size_t capacity,
                       csj_result *out);

/// After CSJ_OBJECT: reads the records from the array that is member `member` (from 0) of the
/// top-level object. CSJ_OK, or CSJ_WRONG_SHAPE when that member is not an array.
int csj_document_enter(csj_parser *parser, size_t member, csj_result *out);

/// The next element of the records array: CSJ_OK (an object, its members listed as by
/// csj_parse_object), CSJ_NOT_AN_OBJECT, CSJ_END, or an error (which ends the document).
int csj_document_next(csj_parser *parser, csj_result *out);

#ifdef __cplusplus
}
#endif

#endif
