// CGzip: a small, plain C API over zlib's inflate, for reading .gz input as a stream.
#ifndef CGZIP_H
#define CGZIP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pfgz_decoder pfgz_decoder;

enum {
    PFGZ_OK = 0,          ///< made progress; call again with more input or more room
    PFGZ_END = 1,         ///< the last gzip member ended
    PFGZ_CORRUPT = 2,     ///< not valid gzip data
    PFGZ_NO_MEMORY = 3,
    PFGZ_BAD_ARGUMENT = 4,
};

/// A decoder for gzip data (several concatenated members are one stream, like gunzip).
pfgz_decoder *pfgz_create(void);
void pfgz_destroy(pfgz_decoder *decoder);

/// Inflates from `input` into `output`. Sets how many bytes were consumed and produced.
/// `input_is_last`: no input follows this buffer (a stream that ends early is then corrupt).
int pfgz_inflate(pfgz_decoder *decoder, const void *input, size_t input_length, int input_is_last,
                 void *output, size_t output_capacity, size_t *consumed, size_t *produced);

#ifdef __cplusplus
}
#endif

#endif
