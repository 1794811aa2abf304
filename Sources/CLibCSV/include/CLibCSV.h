// CLibCSV: a small, plain C API over libcsv (Debian libcsv-dev).
//
// The Swift side feeds a record's bytes (line by line) and reads the finished record back as
// field spans into an arena the shim owns. libcsv's callbacks stay inside the shim.
// libcsv runs in strict mode, with space trimming switched off and LF as the only record
// terminator (a lone CR is data; the caller strips the CR of a CRLF outside quotes).
#ifndef CLIBCSV_H
#define CLIBCSV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pfcsv_reader pfcsv_reader;

/// One field of a finished record: `length` bytes at `offset` in the arena, unquoted and unescaped.
typedef struct {
    size_t offset;
    size_t length;
} pfcsv_field;

enum {
    PFCSV_NEED_MORE = 0,     ///< all bytes consumed, the record is not finished yet
    PFCSV_RECORD = 1,        ///< a record is finished: its fields are readable until the next feed
    PFCSV_MALFORMED = 2,     ///< a quote error; call pfcsv_reset before feeding the next record
    PFCSV_UNTERMINATED = 3,  ///< end of input inside a quoted field
    PFCSV_NOTHING = 4,       ///< end of input with no record pending
    PFCSV_NO_MEMORY = 5,
    PFCSV_BAD_ARGUMENT = 6,
};

/// A reader for one delimiter. Returns NULL when out of memory.
pfcsv_reader *pfcsv_create(unsigned char delimiter);
void pfcsv_destroy(pfcsv_reader *reader);

/// Drops any partial record (after an error, or to skip a record without parsing it).
void pfcsv_reset(pfcsv_reader *reader);

/// Feeds bytes of the current record. A record finishes only at an LF outside quotes, so feed
/// a line's content first, then its terminator.
int pfcsv_feed(pfcsv_reader *reader, const void *bytes, size_t length);

/// Ends the input: finishes a pending record, or reports an open quoted field.
int pfcsv_finish(pfcsv_reader *reader);

/// 1 when the bytes fed since the record began leave a quoted field open, else 0.
/// (In strict mode every accepted quote is structural, so quote parity decides it.)
int pfcsv_in_quoted_field(const pfcsv_reader *reader);

/// The finished record's fields; valid until the next feed, reset or finish.
size_t pfcsv_field_count(const pfcsv_reader *reader);
const pfcsv_field *pfcsv_fields(const pfcsv_reader *reader);
const uint8_t *pfcsv_arena(const pfcsv_reader *reader);


#ifdef __cplusplus
}
#endif

#endif
