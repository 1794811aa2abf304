#ifndef CCSVSCAN_H
#define CCSVSCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Structural kernels: the CSV pass below, and the end of a JSON value (at the end of this file).
///
/// The structural pass over CSV bytes: for 64-byte blocks, masks of quotes, the delimiter, line
/// feeds and unusual bytes; which bytes lie inside quotes (prefix XOR of the quote mask); and the
/// positions of the delimiters and line feeds outside quotes. Plain C, no allocation, no state
/// outside the caller's arguments.
///
/// Each entry is a byte offset from `data` (bits 0-27) with flags in bits 28-31. An entry with
/// PFSCAN_RECORD_END is a line feed outside quotes: the end of a record, whose flags say whether
/// anything between the previous record end (or `data`) and this line feed needs a closer look.

#define PFSCAN_OFFSET_MASK 0x0FFFFFFFu
/// The largest `length` one call takes (offsets must fit in 28 bits).
#define PFSCAN_MAX_LENGTH ((size_t)PFSCAN_OFFSET_MASK)
#define PFSCAN_RECORD_END 0x80000000u
/// The record holds a quote character (`"`): only libcsv may split it.
#define PFSCAN_HAS_QUOTE 0x40000000u
/// The record holds a byte below 0x20 other than tab, its line feed and a CR just before a line feed.
#define PFSCAN_HAS_CONTROL 0x20000000u
/// The record holds a byte of 0x80 or more (its UTF-8 needs checking).
#define PFSCAN_HAS_NON_ASCII 0x10000000u

/// The implementations; `pfscan_best_kernel` picks one at run time from what the processor has.
enum {
    PFSCAN_KERNEL_PORTABLE = 0,
    PFSCAN_KERNEL_SSE42 = 1,   /* SSE4.2 + PCLMULQDQ */
    PFSCAN_KERNEL_AVX2 = 2,    /* AVX2 + PCLMULQDQ */
    PFSCAN_KERNEL_COUNT = 3
};

/// Whether `kernel` can run on this processor (the portable one always can).
int pfscan_kernel_available(int kernel);
/// The fastest kernel this processor runs.
int pfscan_best_kernel(void);
/// A name for messages and benchmarks: "portable", "sse4.2", "avx2".
const char *pfscan_kernel_name(int kernel);

/// Scans `data[0..<length)` from a record boundary (outside quotes), writing the entries of whole
/// records only into `entries` (room for `capacity`; at least 128). It stops early when the next
/// block's entries might not fit. Returns the number of entries written, all of complete records;
/// `*scanned` receives the offset just past the last record end written (0 when none). Bytes after
/// it were looked at but give no entry: the next call starts there.
///
/// Returns 0 with `*scanned` 0 when a pointer is NULL, `length` exceeds PFSCAN_MAX_LENGTH,
/// `capacity` is below 128 or `kernel` is not available.
size_t pfscan_csv(int kernel, const uint8_t *data, size_t length, uint8_t delimiter,
                  uint32_t *entries, size_t capacity, size_t *scanned);

/// Where the JSON value that starts at `data[0]` (`{`, `[` or `"`) ends: one past its last byte,
/// following strings, escapes and nesting without parsing (brackets of either kind count for the
/// nesting; a backslash escapes the next byte inside a string only). Returns 0 when the value does
/// not end within `length` bytes, or when an argument is bad (then `*lines` is 0). `*lines` gets
/// the line feeds in the value, an escaped one excepted. Blocks without a backslash go through
/// the SIMD masks of `kernel` (AVX2; any other kernel uses the portable masks), blocks with one
/// byte by byte, so every kernel gives the same answer.
size_t pfscan_json_value_end(int kernel, const uint8_t *data, size_t length, size_t *lines);

/// Asks the processor to fetch the cache line at `address` (for reading) while other work goes
/// on: the id registry prefetches a batch of hash slots before it probes them. Inline, so Swift
/// calls it without a function call; a hint only, any address is harmless.
static inline void pfscan_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#ifdef __cplusplus
}
#endif

#endif
