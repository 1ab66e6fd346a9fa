/* libFuzzer harness: audience conditions, parsed from JSON (lift_cond_parse) and evaluated
 * (lift_audience_eval) against request attributes. Input: a JSON array of conditions, a
 * newline, then a query string whose attr.<name>=<value> pairs are the attributes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lift/audience.h"
#include "server/query_string.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bump allocator over a list of blocks, freed at once, as the config arena does. */
typedef struct arena {
    void *blocks[256];
    int n;
} arena;

static void *alloc(void *ctx, size_t size)
{
    arena *a = ctx;
    if (a->n == 256)
        return NULL;
    return a->blocks[a->n++] = malloc(size ? size : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t jlen = nl ? (size_t)(nl - data) : size;
    json_t *doc = json_loadb((const char *)data, jlen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(doc) || json_array_size(doc) > 64) {
        json_decref(doc);
        return 0;
    }
    arena a = {.n = 0};
    lift_cond conds[64];
    size_t n = 0, i;
    json_t *c;
    lift_err err;
    json_array_foreach(doc, i, c)
    {
        if (lift_cond_parse(c, &conds[n], alloc, &a, "audience", &err) == LIFT_OK)
            n++;
        else if (!err.msg[0])
            abort(); /* a refusal must say why */
    }
    json_decref(doc); /* the conditions must not point into the JSON */
    lift_assign_query q;
    lift_qs_init(&q);
    const char *qs = nl ? (const char *)nl + 1 : "";
    size_t qlen = nl ? size - jlen - 1 : 0;
    char *copy = malloc(qlen ? qlen : 1);
    if (copy) {
        memcpy(copy, qs, qlen);
        lift_qs_parse(&q, copy, qlen, &err); /* attributes parsed so far count either way */
        bool all = lift_audience_eval(conds, n, q.attrs, q.nattrs);
        /* The audience holds exactly when each condition does. */
        bool each = true;
        for (size_t k = 0; k < n; k++)
            each = lift_cond_eval(&conds[k], q.attrs, q.nattrs) && each;
        if (all != each)
            abort();
        free(copy);
    }
    for (int k = 0; k < a.n; k++)
        free(a.blocks[k]);
    return 0;
}
