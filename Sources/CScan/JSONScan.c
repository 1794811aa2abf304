/* The end of a JSON value without parsing it (see include/CScan.h): the structural scan of a
 * streamed JSON array spends its time here. Blocks of 64 bytes without a backslash are done with
 * masks: quotes give the string mask by prefix XOR, brackets outside strings move the depth.
 * A block with a backslash, the last short block, and a block after an escape are done byte by
 * byte with exactly the rules of the Swift ValueSkipper, which the tests compare against. */
#include "CScan.h"

#include <string.h>

#include "simd.h"

typedef struct {
    uint64_t quote, backslash, open, close, lf;
} json_masks;

typedef struct {
    int in_string;
    int escaped;
    long depth;
    size_t lines;
} json_state;

static inline void json_masks_portable(const uint8_t *block, json_masks *m) {
    json_masks r = {0, 0, 0, 0, 0};
    for (int i = 0; i < 64; i++) {
        uint8_t byte = block[i];
        uint64_t bit = 1ull << i;
        if (byte == '"') r.quote |= bit;
        if (byte == '\\') r.backslash |= bit;
        if (byte == '{' || byte == '[') r.open |= bit;
        if (byte == '}' || byte == ']') r.close |= bit;
        if (byte == '\n') r.lf |= bit;
    }
    *m = r;
}

/* The Swift ValueSkipper's rules, byte by byte over data[from..<to): one past the value's end, or 0. */
/* Out of line: inlined into the SIMD loop, the compiler rebuilt every block's vectors byte by byte. */
__attribute__((noinline)) static size_t json_bytes(const uint8_t *data, size_t from, size_t to, json_state *s) {
    for (size_t i = from; i < to; i++) {
        uint8_t byte = data[i];
        if (s->in_string) {
            if (s->escaped) {
                s->escaped = 0;
            } else if (byte == '\\') {
                s->escaped = 1;
            } else if (byte == '"') {
                s->in_string = 0;
                if (s->depth == 0) return i + 1;
            } else if (byte == '\n') {
                s->lines++;
            }
        } else {
            switch (byte) {
            case '"': s->in_string = 1; break;
            case '{': case '[': s->depth++; break;
            case '}': case ']':
                s->depth--;
                if (s->depth == 0) return i + 1;
                break;
            case '\n': s->lines++; break;
            default: break;
            }
        }
    }
    return 0;
}

/* One block without a backslash, from its masks: one past the value's end, or 0 (state carried). */
static inline size_t json_block(const json_masks *m, uint64_t in_string_mask, size_t offset, int is_string_value,
                                json_state *s) {
    if (is_string_value) {
        /* A string at the top: it ends at its closing quote. */
        uint64_t closing = m->quote & ~in_string_mask;
        if (closing) {
            int bit = __builtin_ctzll(closing);
            s->lines += (size_t)__builtin_popcountll(m->lf & ((2ull << bit) - 1));
            return offset + (size_t)bit + 1;
        }
    } else {
        uint64_t structural = (m->open | m->close) & ~in_string_mask;
        while (structural) {
            int bit = __builtin_ctzll(structural);
            if ((m->open >> bit) & 1) {
                s->depth++;
            } else if (--s->depth == 0) {
                uint64_t upto = bit == 63 ? ~0ull : ((2ull << bit) - 1);
                s->lines += (size_t)__builtin_popcountll(m->lf & upto);
                return offset + (size_t)bit + 1;
            }
            structural &= structural - 1;
        }
    }
    s->lines += (size_t)__builtin_popcountll(m->lf);
    s->in_string = (int)(in_string_mask >> 63);
    return 0;
}

#define JSON_NAME json_value_end_portable
#define JSON_TARGET
#define JSON_MASKS json_masks_portable
#define JSON_PREFIX_XOR prefix_xor_portable
#include "json_body.h"
#undef JSON_NAME
#undef JSON_TARGET
#undef JSON_MASKS
#undef JSON_PREFIX_XOR

#if PFSCAN_X86
PFSCAN_AVX2 static inline void json_masks_avx2(const uint8_t *block, json_masks *m) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)block);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(block + 32));
    m->quote = equal64(lo, hi, _mm256_set1_epi8('"'));
    m->backslash = equal64(lo, hi, _mm256_set1_epi8('\\'));
    /* `[` and `{` (and `]` and `}`) differ only in bit 0x20: one compare finds both. (OR-ing two
     * masks instead made the compiler assemble them byte by byte, ten times slower.) */
    __m256i bit5 = _mm256_set1_epi8(0x20);
    __m256i folded_lo = _mm256_or_si256(lo, bit5), folded_hi = _mm256_or_si256(hi, bit5);
    m->open = equal64(folded_lo, folded_hi, _mm256_set1_epi8('{'));
    m->close = equal64(folded_lo, folded_hi, _mm256_set1_epi8('}'));
    m->lf = equal64(lo, hi, _mm256_set1_epi8('\n'));
}

#define JSON_NAME json_value_end_avx2
#define JSON_TARGET PFSCAN_AVX2
#define JSON_MASKS json_masks_avx2
#define JSON_PREFIX_XOR prefix_xor_clmul_avx2
#include "json_body.h"
#undef JSON_NAME
#undef JSON_TARGET
#undef JSON_MASKS
#undef JSON_PREFIX_XOR
#endif

size_t pfscan_json_value_end(int kernel, const uint8_t *data, size_t length, size_t *lines) {
    if (lines == NULL) return 0;
    *lines = 0;
    if (data == NULL || length == 0) return 0;
    uint8_t first = data[0];
    if (first != '{' && first != '[' && first != '"') return 0;
    json_state state = {0, 0, 0, 0};
    size_t end;
#if PFSCAN_X86
    if (kernel == PFSCAN_KERNEL_AVX2 && pfscan_kernel_available(PFSCAN_KERNEL_AVX2)) {
        end = json_value_end_avx2(data, length, &state, first == '"');
    } else
#endif
    {
        (void)kernel;
        end = json_value_end_portable(data, length, &state, first == '"');
    }
    *lines = end ? state.lines : 0;
    return end;
}
