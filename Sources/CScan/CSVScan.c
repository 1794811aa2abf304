/* The CSV structural kernel (see include/CScan.h). Three kernels share one loop (scan_body.h)
 * and differ in how a 64-byte block's masks are computed: a portable byte loop, SSE4.2 and AVX2
 * compares, with the quote mask's prefix XOR by carry-less multiply (PCLMULQDQ) on the SIMD ones.
 * The SIMD kernels are compiled with target attributes and chosen at run time, so the package
 * needs no -march flag and runs on any x86-64 (or other) processor. */
#include "CScan.h"

#include <string.h>

#include "simd.h"

/* One block's masks: bit i describes byte i. */
typedef struct {
    uint64_t quote;
    uint64_t delimiter;
    uint64_t lf;
    uint64_t cr;
    uint64_t control; /* below 0x20, tab excepted */
    uint64_t high;    /* 0x80 or more */
} pfscan_masks;

/* ---- portable ---- */

static inline void masks_portable(const uint8_t *block, uint8_t delimiter, pfscan_masks *m) {
    pfscan_masks r = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 64; i++) {
        uint8_t byte = block[i];
        uint64_t bit = 1ull << i;
        if (byte == '"') r.quote |= bit;
        if (byte == delimiter) r.delimiter |= bit;
        if (byte == '\n') r.lf |= bit;
        if (byte == '\r') r.cr |= bit;
        if (byte < 0x20 && byte != '\t') r.control |= bit;
        if (byte >= 0x80) r.high |= bit;
    }
    *m = r;
}

#define SCAN_NAME scan_portable
#define SCAN_TARGET
#define SCAN_MASKS masks_portable
#define SCAN_PREFIX_XOR prefix_xor_portable
#include "scan_body.h"
#undef SCAN_NAME
#undef SCAN_TARGET
#undef SCAN_MASKS
#undef SCAN_PREFIX_XOR

#if PFSCAN_X86

/* ---- SSE4.2 + PCLMULQDQ ---- */

/* The four quarters of a 64-byte block compared with the same byte, as one 64-bit mask. */
PFSCAN_SSE42 static inline uint64_t equal64_sse42(const __m128i v[4], __m128i byte) {
    uint64_t mask = 0;
    for (int part = 0; part < 4; part++) {
        mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[part], byte)) << (16 * part);
    }
    return mask;
}

PFSCAN_SSE42 static inline void masks_sse42(const uint8_t *block, uint8_t delimiter, pfscan_masks *m) {
    const __m128i below = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8('\t');
    __m128i v[4];
    for (int part = 0; part < 4; part++) v[part] = _mm_loadu_si128((const __m128i *)(block + 16 * part));
    m->quote = equal64_sse42(v, _mm_set1_epi8('"'));
    /* A shuffle: _mm_set1_epi8 of a variable is built byte by byte. */
    m->delimiter = equal64_sse42(v, _mm_shuffle_epi8(_mm_cvtsi32_si128(delimiter), _mm_setzero_si128()));
    m->lf = equal64_sse42(v, _mm_set1_epi8('\n'));
    m->cr = equal64_sse42(v, _mm_set1_epi8('\r'));
    uint64_t control = 0, high = 0;
    for (int part = 0; part < 4; part++) {
        __m128i below_or_equal = _mm_cmpeq_epi8(_mm_max_epu8(v[part], below), below);
        control |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(v[part], tab), below_or_equal))
                   << (16 * part);
        high |= (uint64_t)(uint16_t)_mm_movemask_epi8(v[part]) << (16 * part);
    }
    m->control = control;
    m->high = high;
}

#define SCAN_NAME scan_sse42
#define SCAN_TARGET PFSCAN_SSE42
#define SCAN_MASKS masks_sse42
#define SCAN_PREFIX_XOR prefix_xor_clmul_sse42
#include "scan_body.h"
#undef SCAN_NAME
#undef SCAN_TARGET
#undef SCAN_MASKS
#undef SCAN_PREFIX_XOR

/* ---- AVX2 + PCLMULQDQ ---- */

/* Bytes below 0x20 other than tab. */
PFSCAN_AVX2 static inline uint32_t control32(__m256i v) {
    const __m256i below = _mm256_set1_epi8(0x1F), tab = _mm256_set1_epi8('\t');
    __m256i control = _mm256_andnot_si256(_mm256_cmpeq_epi8(v, tab), _mm256_cmpeq_epi8(_mm256_max_epu8(v, below), below));
    return (uint32_t)_mm256_movemask_epi8(control);
}

PFSCAN_AVX2 static inline void masks_avx2(const uint8_t *block, uint8_t delimiter, pfscan_masks *m) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)block);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(block + 32));
    m->quote = equal64(lo, hi, _mm256_set1_epi8('"'));
    /* A broadcast instruction: _mm256_set1_epi8 of a variable is built byte by byte. */
    m->delimiter = equal64(lo, hi, _mm256_broadcastb_epi8(_mm_cvtsi32_si128(delimiter)));
    m->lf = equal64(lo, hi, _mm256_set1_epi8('\n'));
    m->cr = equal64(lo, hi, _mm256_set1_epi8('\r'));
    m->control = (uint64_t)control32(lo) | ((uint64_t)control32(hi) << 32);
    m->high = (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | ((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32);
}

#define SCAN_NAME scan_avx2
#define SCAN_TARGET PFSCAN_AVX2
#define SCAN_MASKS masks_avx2
#define SCAN_PREFIX_XOR prefix_xor_clmul_avx2
#include "scan_body.h"
#undef SCAN_NAME
#undef SCAN_TARGET
#undef SCAN_MASKS
#undef SCAN_PREFIX_XOR

#endif /* PFSCAN_X86 */

int pfscan_kernel_available(int kernel) {
    switch (kernel) {
    case PFSCAN_KERNEL_PORTABLE: return 1;
#if PFSCAN_X86
    case PFSCAN_KERNEL_SSE42:
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
    case PFSCAN_KERNEL_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
#endif
    default: return 0;
    }
}

int pfscan_best_kernel(void) {
    static int best = -1; /* a benign race: every thread computes the same answer */
    if (best < 0) {
        int kernel = PFSCAN_KERNEL_COUNT - 1;
        while (kernel > PFSCAN_KERNEL_PORTABLE && !pfscan_kernel_available(kernel)) kernel--;
        best = kernel;
    }
    return best;
}

const char *pfscan_kernel_name(int kernel) {
    switch (kernel) {
    case PFSCAN_KERNEL_PORTABLE: return "portable";
    case PFSCAN_KERNEL_SSE42: return "sse4.2";
    case PFSCAN_KERNEL_AVX2: return "avx2";
    default: return "unknown";
    }
}

size_t pfscan_csv(int kernel, const uint8_t *data, size_t length, uint8_t delimiter,
                  uint32_t *entries, size_t capacity, size_t *scanned) {
    if (scanned == NULL) return 0;
    *scanned = 0;
    if (data == NULL || entries == NULL || length > PFSCAN_MAX_LENGTH || capacity < 128) return 0;
    if (!pfscan_kernel_available(kernel)) return 0;
    switch (kernel) {
#if PFSCAN_X86
    case PFSCAN_KERNEL_AVX2: return scan_avx2(data, length, delimiter, entries, capacity, scanned);
    case PFSCAN_KERNEL_SSE42: return scan_sse42(data, length, delimiter, entries, capacity, scanned);
#endif
    default: return scan_portable(data, length, delimiter, entries, capacity, scanned);
    }
}
