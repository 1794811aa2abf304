// CPattern: a plain C API over PCRE2 (Debian libpcre2-dev), for the `pattern` constraint of
// schema files. A pattern is compiled once (JIT-compiled where the platform allows) and matched
// against UTF-8 values; each compiled pattern holds its own match data, so one thread uses it at
// a time (each worker compiles its own).
#ifndef CPATTERN_H
#define CPATTERN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pfre_pattern pfre_pattern;

/// Compiles `pattern` (`length` bytes of UTF-8). `whole`: a value matches only as a whole
/// (anchored at both ends); otherwise a match anywhere in it is enough. NULL on failure, with
/// PCRE2's message in `error` (NUL-terminated, cut to `error_capacity`) and the offset of the
/// problem in the pattern in `*error_offset`.
pfre_pattern *pfre_compile(const char *pattern, size_t length, int whole, char *error, size_t error_capacity,
                           size_t *error_offset);

void pfre_free(pfre_pattern *pattern);

/// 1: `subject` (`length` bytes of UTF-8) matches; 0: it does not; -1: PCRE2 gave up (a match or
/// depth limit, invalid UTF-8) or an argument is NULL.
int pfre_match(pfre_pattern *pattern, const void *subject, size_t length);

/// 1 when the pattern runs JIT-compiled code.
int pfre_is_jit(const pfre_pattern *pattern);

#ifdef __cplusplus
}
#endif

#endif
