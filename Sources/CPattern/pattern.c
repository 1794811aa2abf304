// The PCRE2 shim behind CPattern.h: compile once, match many; no PCRE2 type crosses the header.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "CPattern.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct pfre_pattern {
    pcre2_code *code;
    pcre2_match_data *match;
    pcre2_match_context *context;
    pcre2_jit_stack *stack;
    int jit;
};

pfre_pattern *pfre_compile(const char *pattern, size_t length, int whole, char *error, size_t error_capacity,
                           size_t *error_offset) {
    if (error != NULL && error_capacity > 0) error[0] = 0;
    if (error_offset != NULL) *error_offset = 0;
    if (pattern == NULL && length > 0) return NULL;
    pfre_pattern *result = calloc(1, sizeof *result);
    if (result == NULL) return NULL;
    uint32_t options = PCRE2_UTF;
    if (whole) options |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    int code = 0;
    PCRE2_SIZE offset = 0;
    result->code = pcre2_compile((PCRE2_SPTR)(pattern != NULL ? pattern : ""), length, options, &code, &offset, NULL);
    if (result->code == NULL) {
        if (error != NULL && error_capacity > 0) pcre2_get_error_message(code, (PCRE2_UCHAR *)error, error_capacity);
        if (error_offset != NULL) *error_offset = offset;
        free(result);
        return NULL;
    }
    result->match = pcre2_match_data_create_from_pattern(result->code, NULL);
    result->context = pcre2_match_context_create(NULL);
    if (result->match == NULL || result->context == NULL) {
        pfre_free(result);
        return NULL;
    }
    if (pcre2_jit_compile(result->code, PCRE2_JIT_COMPLETE) == 0) {
        result->jit = 1;
        // A larger stack than the default 32 KiB, for patterns with deep nesting.
        result->stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (result->stack != NULL) pcre2_jit_stack_assign(result->context, NULL, result->stack);
    }
    return result;
}

void pfre_free(pfre_pattern *pattern) {
    if (pattern == NULL) return;
    if (pattern->stack != NULL) pcre2_jit_stack_free(pattern->stack);
    if (pattern->context != NULL) pcre2_match_context_free(pattern->context);
    if (pattern->match != NULL) pcre2_match_data_free(pattern->match);
    if (pattern->code != NULL) pcre2_code_free(pattern->code);
    free(pattern);
}

int pfre_match(pfre_pattern *pattern, const void *subject, size_t length) {
    if (pattern == NULL || (subject == NULL && length > 0)) return -1;
    int result = pcre2_match(pattern->code, (PCRE2_SPTR)(subject != NULL ? subject : ""), length, 0, 0,
                             pattern->match, pattern->context);
    if (result >= 0) return 1;
    if (result == PCRE2_ERROR_NOMATCH) return 0;
    return -1;
}

int pfre_is_jit(const pfre_pattern *pattern) { return pattern != NULL && pattern->jit; }
