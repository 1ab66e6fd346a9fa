/* libFuzzer harness: the POST /v1/events and /v1/exposures batch validators. The first
 * byte picks the route; the rest is the body. Every input is accepted as COPY rows or
 * refused whole with a message; an accepted batch yields exactly one row per item. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lift/config.h"
#include "lift/text.h"
#include "server/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CONFIG[] =
    "{\"experiments\":[{\"key\":\"recs\",\"seed\":\"recs\",\"status\":\"running\","
    "\"variants\":[{\"key\":\"control\",\"weight\":0.5},{\"key\":\"personalized\","
    "\"weight\":0.5}]}]}";

static size_t lines(const lift_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lift_config *cfg;
    lift_err err;
    if (!cfg && !(cfg = lift_config_parse(CONFIG, sizeof CONFIG - 1, &err)))
        abort();
    if (size == 0)
        return 0;
    bool exposures = data[0] & 1;
    char *body = malloc(size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    lift_ingest in = {.now = INT64_C(1790000000000000), .max_items = 1000, .cfg = cfg};
    lift_buf rows;
    lift_buf_init(&rows);
    size_t n = 0;
    int rc = exposures ? lift_ingest_exposures(&in, body, size - 1, &rows, &n, &err)
                       : lift_ingest_events(&in, body, size - 1, &rows, &n, &err);
    if (rc == LIFT_OK) {
        if (lines(&rows) != n || n > 1000)
            abort(); /* one COPY line per item */
    } else if (!err.msg[0] || rows.len != 0) {
        abort(); /* refused: with a reason, and nothing produced */
    }
    lift_buf_fini(&rows);
    free(body);
    return 0;
}
