/* The JSON value-end loop, written once and compiled once per kernel: JSONScan.c defines
 * JSON_NAME, JSON_TARGET (a target attribute, or nothing), JSON_MASKS and JSON_PREFIX_XOR, then
 * includes this file, as CSVScan.c does with scan_body.h. Blocks with a backslash (or after an
 * escape) and the last short block go byte by byte; the others by their masks. */

JSON_TARGET static size_t JSON_NAME(const uint8_t *data, size_t length, json_state *s, int is_string_value) {
    size_t offset = 0;
    for (; offset + 64 <= length; offset += 64) {
        json_masks m;
        JSON_MASKS(data + offset, &m);
        size_t end;
        if (s->escaped || m.backslash) {
            end = json_bytes(data, offset, offset + 64, s);
        } else {
            uint64_t inside = JSON_PREFIX_XOR(m.quote) ^ (s->in_string ? ~0ull : 0);
            end = json_block(&m, inside, offset, is_string_value, s);
        }
        if (end) return end;
    }
    return json_bytes(data, offset, length, s);
}
