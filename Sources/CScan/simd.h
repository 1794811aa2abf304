/* Helpers shared by the CSV and JSON kernels: the prefix XOR that turns a quote mask into an
 * "inside quotes" mask, portable and by carry-less multiply, and AVX2 byte compares as 64-bit
 * masks. The SIMD ones carry target attributes, so no -march flag is needed. */
#ifndef PFSCAN_SIMD_H
#define PFSCAN_SIMD_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define PFSCAN_X86 1
#include <immintrin.h>
#endif

/* Bit i of the result is the XOR of bits 0...i: set from an opening quote up to (not including)
 * its closing quote. */
static inline uint64_t prefix_xor_portable(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

#if PFSCAN_X86
#define PFSCAN_SSE42 __attribute__((target("sse4.2,pclmul")))
#define PFSCAN_AVX2 __attribute__((target("avx2,pclmul")))

PFSCAN_SSE42 static inline uint64_t prefix_xor_clmul_sse42(uint64_t x) {
    __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xFF), 0);
    return (uint64_t)_mm_cvtsi128_si64(product);
}

PFSCAN_AVX2 static inline uint64_t prefix_xor_clmul_avx2(uint64_t x) {
    __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xFF), 0);
    return (uint64_t)_mm_cvtsi128_si64(product);
}

/* Both halves of a 64-byte block compared with the same byte, as one 64-bit mask. */
PFSCAN_AVX2 static inline uint64_t equal64(__m256i lo, __m256i hi, __m256i byte) {
    uint64_t low = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, byte));
    uint64_t high = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, byte));
    return low | (high << 32);
}
#endif

#endif
