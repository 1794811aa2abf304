#include "CLibCSV.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

struct pfcsv_reader {
    struct csv_parser parser;
    unsigned char delimiter;
    int quote_parity;        // quotes seen in the current record, mod 2
    int record_done;         // the last feed finished a record; the next feed starts a new one
    int failed;              // an allocation failed inside a callback
    pfcsv_field *fields;
    size_t field_count;
    size_t field_capacity;
    uint8_t *arena;
    size_t arena_length;
    size_t arena_capacity;
};

// Spaces are data: libcsv trims spaces and tabs around unquoted fields unless told otherwise.
static int never_space(unsigned char c) { (void)c; return 0; }
// Only LF ends a record; a lone CR is data (the caller strips the CR of CRLF outside quotes).
static int lf_only(unsigned char c) { return c == CSV_LF; }

static int start_parser(pfcsv_reader *r) {
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return 0;
    csv_set_delim(&r->parser, r->delimiter);
    csv_set_space_func(&r->parser, never_space);
    csv_set_term_func(&r->parser, lf_only);
    return 1;
}

static void clear_record(pfcsv_reader *r) {
    r->field_count = 0;
    r->arena_length = 0;
    r->quote_parity = 0;
    r->record_done = 0;
}

pfcsv_reader *pfcsv_create(unsigned char delimiter) {
    pfcsv_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    r->delimiter = delimiter;
    if (!start_parser(r)) { free(r); return NULL; }
    return r;
}

void pfcsv_destroy(pfcsv_reader *r) {
    if (r == NULL) return;
    csv_free(&r->parser);
    free(r->fields);
    free(r->arena);
    free(r);
}

void pfcsv_reset(pfcsv_reader *r) {
    if (r == NULL) return;
    csv_free(&r->parser);
    memset(&r->parser, 0, sizeof r->parser);
    if (!start_parser(r)) r->failed = 1;
    clear_record(r);
}

static void on_field(void *data, size_t length, void *context) {
    pfcsv_reader *r = context;
    if (r->failed) return;
    if (r->field_count == r->field_capacity) {
        size_t capacity = r->field_capacity ? r->field_capacity * 2 : 64;
        pfcsv_field *grown = realloc(r->fields, capacity * sizeof *grown);
        if (grown == NULL) { r->failed = 1; return; }
        r->fields = grown;
        r->field_capacity = capacity;
    }
    if (length > r->arena_capacity - r->arena_length) {
        size_t capacity = r->arena_capacity ? r->arena_capacity : 4096;
        while (capacity - r->arena_length < length) {
            if (capacity > SIZE_MAX / 2) { r->failed = 1; return; }
            capacity *= 2;
        }
        uint8_t *grown = realloc(r->arena, capacity);
        if (grown == NULL) { r->failed = 1; return; }
        r->arena = grown;
        r->arena_capacity = capacity;
    }
    if (length > 0 && data != NULL) memcpy(r->arena + r->arena_length, data, length);
    r->fields[r->field_count].offset = r->arena_length;
    r->fields[r->field_count].length = length;
    r->field_count += 1;
    r->arena_length += length;
}

static void on_record(int terminator, void *context) {
    (void)terminator;
    pfcsv_reader *r = context;
    r->record_done = 1;
}

int pfcsv_feed(pfcsv_reader *r, const void *bytes, size_t length) {
    if (r == NULL || (bytes == NULL && length > 0)) return PFCSV_BAD_ARGUMENT;
    if (r->record_done) clear_record(r);
    if (length == 0) return PFCSV_NEED_MORE;
    const unsigned char *p = bytes;
    for (const unsigned char *q = memchr(p, '"', length); q != NULL;
         q = memchr(q + 1, '"', length - (size_t)(q + 1 - p))) {
        r->quote_parity ^= 1;
    }
    size_t used = csv_parse(&r->parser, bytes, length, on_field, on_record, r);
    if (r->failed) return PFCSV_NO_MEMORY;
    if (used < length) {
        int error = csv_error(&r->parser);
        return (error == CSV_ENOMEM || error == CSV_ETOOBIG) ? PFCSV_NO_MEMORY : PFCSV_MALFORMED;
    }
    return r->record_done ? PFCSV_RECORD : PFCSV_NEED_MORE;
}

int pfcsv_finish(pfcsv_reader *r) {
    if (r == NULL) return PFCSV_BAD_ARGUMENT;
    if (r->record_done) clear_record(r);
    int status = csv_fini(&r->parser, on_field, on_record, r);
    int result;
    if (r->failed) result = PFCSV_NO_MEMORY;
    else if (status != 0) result = PFCSV_UNTERMINATED;
    else result = r->record_done ? PFCSV_RECORD : PFCSV_NOTHING;
    // csv_fini leaves the parser ready for new input; keep the finished record readable.
    int done = r->record_done;
    r->quote_parity = 0;
    r->record_done = done;
    return result;
}

int pfcsv_in_quoted_field(const pfcsv_reader *r) {
    return r != NULL && r->quote_parity != 0;
}

size_t pfcsv_field_count(const pfcsv_reader *r) { return r ? r->field_count : 0; }
const pfcsv_field *pfcsv_fields(const pfcsv_reader *r) { return r ? r->fields : NULL; }
const uint8_t *pfcsv_arena(const pfcsv_reader *r) { return r ? r->arena : NULL; }
