/* The scan loop, written once and compiled once per kernel: CCSVScan.c defines SCAN_NAME,
 * SCAN_TARGET (a target attribute, or nothing), SCAN_MASKS and SCAN_PREFIX_XOR, then includes
 * this file. Keeping the loop in one place means every kernel differs only in how it computes a
 * block's masks, which is what the tests compare against the portable kernel. */

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
            /* The last, short block: padded with spaces, which are none of the bytes looked for. */
            uint8_t tail[64];
            memcpy(tail, data + offset, left);
            memset(tail + left, ' ', 64 - left);
            SCAN_MASKS(tail, delimiter, &m);
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
