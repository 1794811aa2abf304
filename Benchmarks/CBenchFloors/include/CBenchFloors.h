#ifndef CBENCHFLOORS_H
#define CBENCHFLOORS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The floors preflight-bench measures beside preflight: each library alone, doing the least any
/// validator must do. Not part of the product.

/// libcsv alone over `bytes` (strict, no trimming, LF or CRLF terminators), with callbacks that
/// only count; after a quote error it goes on at the next line. Returns 0, or -1 when some record
/// had a quote error or an argument is bad.
int bench_libcsv_count(const void *bytes, size_t length, unsigned char delimiter, size_t *fields, size_t *records);

/// simdjson alone, reading every field of every object as a raw token (bad lines and non-objects
/// are skipped, as cheaply as simdjson allows). Each returns the number of fields read, or
/// (size_t)-1 on an error. The buffers need simdjson's padding readable after `length`.
/// Lines split with memchr, each parsed on its own.
size_t bench_simdjson_lines(const void *bytes, size_t length, size_t capacity);
/// A top-level array of objects.
size_t bench_simdjson_array(const void *bytes, size_t length, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
