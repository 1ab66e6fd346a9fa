/* libFuzzer harness: the /v1/assign query-string parser (lift_qs_parse). Any input must
 * be parsed or refused with a message, never crash, leak or read out of bounds; what it
 * accepts must keep the parser's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/text.h"
#include "server/query_string.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with no terminator, so reads past the end are caught. */
    char *qs = malloc(size ? size : 1);
    if (!qs)
        return 0;
    memcpy(qs, data, size);
    lift_assign_query q;
    lift_qs_init(&q);
    lift_err err;
    if (lift_qs_parse(&q, qs, size, &err) == LIFT_OK) {
        if (!q.unit || q.unit_len == 0 || q.unit_len > LIFT_UNIT_MAX ||
            !lift_utf8_valid(q.unit, q.unit_len))
            abort(); /* an accepted unit id breaks the rules */
        if (q.nattrs > LIFT_QS_MAX_ATTRS || q.used > LIFT_QS_STORE)
            abort();
    } else if (!err.msg[0]) {
        abort(); /* a refusal must say why */
    }
    free(qs);
    return 0;
}
