#include "CGzip.h"

#include <stdlib.h>
#include <zlib.h>

struct pfgz_decoder {
    z_stream stream;
    int finished_member;  // the last call ended a member: more input starts a new one
};

pfgz_decoder *pfgz_create(void) {
    pfgz_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    // 15 + 16: gzip wrapper only.
    if (inflateInit2(&decoder->stream, 15 + 16) != Z_OK) {
        free(decoder);
        return NULL;
    }
    return decoder;
}

void pfgz_destroy(pfgz_decoder *decoder) {
    if (decoder == NULL) return;
    inflateEnd(&decoder->stream);
    free(decoder);
}

int pfgz_inflate(pfgz_decoder *decoder, const void *input, size_t input_length, int input_is_last,
                 void *output, size_t output_capacity, size_t *consumed, size_t *produced) {
    if (decoder == NULL || consumed == NULL || produced == NULL || (input == NULL && input_length > 0) ||
        (output == NULL && output_capacity > 0)) {
        return PFGZ_BAD_ARGUMENT;
    }
    *consumed = 0;
    *produced = 0;
    // zlib counts in uInt: feed at most 1 GiB per call.
    uInt in_now = input_length > (1u << 30) ? (1u << 30) : (uInt)input_length;
    uInt out_now = output_capacity > (1u << 30) ? (1u << 30) : (uInt)output_capacity;
    if (decoder->finished_member) {
        if (in_now == 0) return input_is_last ? PFGZ_END : PFGZ_OK;
        if (inflateReset(&decoder->stream) != Z_OK) return PFGZ_CORRUPT;
        decoder->finished_member = 0;
    }
    decoder->stream.next_in = (Bytef *)input;
    decoder->stream.avail_in = in_now;
    decoder->stream.next_out = (Bytef *)output;
    decoder->stream.avail_out = out_now;
    int status = inflate(&decoder->stream, Z_NO_FLUSH);
    *consumed = in_now - decoder->stream.avail_in;
    *produced = out_now - decoder->stream.avail_out;
    switch (status) {
        case Z_STREAM_END:
            decoder->finished_member = 1;
            return (input_is_last && *consumed == input_length) ? PFGZ_END : PFGZ_OK;
        case Z_OK:
            return PFGZ_OK;
        case Z_BUF_ERROR:
            // No progress possible: fine while more input or room may come, corrupt at the end.
            return (input_is_last && *consumed == input_length && *produced == 0) ? PFGZ_CORRUPT : PFGZ_OK;
        case Z_MEM_ERROR:
            return PFGZ_NO_MEMORY;
        default:
            return PFGZ_CORRUPT;
    }
}
