// Benchmark floor over libcsv alone (preflight-bench only; not part of the product).
#include "CBenchFloors.h"

#include <csv.h>
#include <string.h>

static int never_space(unsigned char c) { (void)c; return 0; }

struct counts {
    size_t fields;
    size_t records;
};

static void count_field(void *data, size_t length, void *context) {
    (void)data;
    (void)length;
    ((struct counts *)context)->fields += 1;
}

static void count_record(int terminator, void *context) {
    (void)terminator;
    ((struct counts *)context)->records += 1;
}

int bench_libcsv_count(const void *bytes, size_t length, unsigned char delimiter, size_t *fields, size_t *records) {
    if ((bytes == NULL && length > 0) || fields == NULL || records == NULL) return -1;
    struct counts counts = {0, 0};
    const unsigned char *text = bytes;
    size_t position = 0;
    int status = 0;
    while (position < length) {
        struct csv_parser parser;
        if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return -1;
        csv_set_delim(&parser, delimiter);
        csv_set_space_func(&parser, never_space);
        size_t used = csv_parse(&parser, text + position, length - position, count_field, count_record, &counts);
        if (used == length - position) {
            if (csv_fini(&parser, count_field, count_record, &counts) != 0) status = -1;
            csv_free(&parser);
            break;
        }
        // A quote error: count it as a record and go on after the line where it was found.
        csv_free(&parser);
        status = -1;
        counts.records += 1;
        const unsigned char *lf = memchr(text + position + used, '\n', length - position - used);
        position = lf ? (size_t)(lf - text) + 1 : length;
    }
    *fields = counts.fields;
    *records = counts.records;
    return status;
}
