/* The scan loop, written once and compiled once per kernel: CSVScan.c defines SCAN_NAME,
 * SCAN_TARGET (a target attribute, or nothing), SCAN_MASKS and SCAN_PREFIX_XOR, then includes
 * this file. Keeping the loop in one place means every kernel differs only in how it computes a
 * block's masks, which is what the tests compare against the portable kernel. */

#define SCAN_PASTE2(a, b) a##b
#define SCAN_PASTE(a, b) SCAN_PASTE2(a, b)
#define SCAN_TAIL SCAN_PASTE(SCAN_NAME, _tail)

/* The last, short block, padded with spaces (none of the bytes looked for). Kept out of line:
 * inlined, the compiler turns the padded copy into single bytes and then builds every block's
 * vectors from bytes too, which made the AVX2 kernel four times slower. */
SCAN_TARGET __attribute__((noinline)) static void SCAN_TAIL(const uint8_t *data, size_t left, uint8_t delimiter,
                                                          pfscan_masks *m) {
    uint8_t tail[64];
    memcpy(tail, data, left);
    memset(tail + left, ' ', 64 - left);
    SCAN_MASKS(tail, delimiter, m);
}

SCAN_TARGET static size_t SCAN_NAME(const uint8_t *data, size_t length, uint8_t delimiter,
                                    uint32_t *entries, size_t capacity, size_t *scanned) {
    size_t count = 0;
    size_t committed = 0;      /* entries of complete records */
    size_t committed_end = 0;  /* just past the last record end */
    uint64_t inside_carry = 0; /* all ones when the previous block ended inside quotes */
    uint32_t flags = 0;        /* of the record being read */
    for (size_t offset = 0; offset < length; offset += 64) {
        if (capacity - count < 65) break; /* a block gives at most 64 entries */
        size_t left = length - offset;
        pfscan_masks m;
        uint64_t valid = ~0ull;
        if (left >= 64) {
            SCAN_MASKS(data + offset, delimiter, &m);
        } else {
            SCAN_TAIL(data + offset, left, delimiter, &m);
            valid = (1ull << left) - 1;
        }
        /* A CR just before a line feed is part of the terminator, not data. */
        uint64_t next_is_lf = left > 64 && data[offset + 64] == '\n';
        uint64_t terminator_cr = m.cr & ((m.lf >> 1) | (next_is_lf << 63));
        uint64_t inside = SCAN_PREFIX_XOR(m.quote) ^ inside_carry;
        inside_carry = (uint64_t)((int64_t)inside >> 63);
        uint64_t ends = m.lf & ~inside & valid;
        uint64_t separators = (m.delimiter & ~inside & valid) | ends;
        uint64_t quotes = m.quote & valid;
        uint64_t controls = m.control & ~m.lf & ~terminator_cr & valid;
        uint64_t high = m.high & valid;
        if (flags == 0 && (quotes | controls | high) == 0) {
            /* The common block: nothing to flag, so every entry is written the same way, without
             * a branch on whether it ends a record. */
            size_t first = count;
            uint64_t pending = separators;
            while (pending) {
                int bit = __builtin_ctzll(pending);
                entries[count++] = (uint32_t)(offset + (size_t)bit) | ((uint32_t)((ends >> bit) & 1) << 31);
                pending &= pending - 1;
            }
            if (ends) {
                int last = 63 - __builtin_clzll(ends);
                uint64_t upto = last == 63 ? ~0ull : ((2ull << last) - 1);
                committed = first + (size_t)__builtin_popcountll(separators & upto);
                committed_end = offset + (size_t)last + 1;
            }
            continue;
        }
        uint64_t done = 0; /* the block's bits already counted into a finished record */
        while (separators) {
            int bit = __builtin_ctzll(separators);
            uint32_t entry = (uint32_t)(offset + (size_t)bit);
            if ((ends >> bit) & 1) {
                uint64_t upto = bit == 63 ? ~0ull : ((2ull << bit) - 1);
                uint64_t range = upto & ~done;
                if (quotes & range) flags |= PFSCAN_HAS_QUOTE;
                if (controls & range) flags |= PFSCAN_HAS_CONTROL;
                if (high & range) flags |= PFSCAN_HAS_NON_ASCII;
                entries[count++] = entry | PFSCAN_RECORD_END | flags;
                flags = 0;
                done = upto;
                committed = count;
                committed_end = offset + (size_t)bit + 1;
            } else {
                entries[count++] = entry;
            }
            separators &= separators - 1;
        }
        if (quotes & ~done) flags |= PFSCAN_HAS_QUOTE;
        if (controls & ~done) flags |= PFSCAN_HAS_CONTROL;
        if (high & ~done) flags |= PFSCAN_HAS_NON_ASCII;
    }
    *scanned = committed_end;
    return committed;
}

#undef SCAN_TAIL
#undef SCAN_PASTE
#undef SCAN_PASTE2
