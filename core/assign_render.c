/* The JSON answer of an assignment, shared by liftd (/v1/assign) and liftctl assign. */
#include "lift/assign.h"
#include "lift/text.h"

#include <string.h>

void lift_assign_render(struct lift_buf *b, const lift_config *cfg, const char *unit,
                        size_t unit_len, const lift_assignment *a, size_t n)
{
    lift_buf_puts(b, "{\"unit\":");
    lift_buf_json_str(b, unit, unit_len);
    lift_buf_puts(b, ",\"assignments\":[");
    for (size_t i = 0; i < n; i++) {
        const lift_experiment *e = &cfg->experiments[a[i].experiment];
        const lift_variant *v = &e->variants[a[i].variant];
        lift_buf_puts(b, i ? ",{\"experiment\":" : "{\"experiment\":");
        lift_buf_json_str(b, e->key, e->key_len);
        lift_buf_puts(b, ",\"variant\":");
        lift_buf_json_str(b, v->key, strlen(v->key));
        lift_buf_printf(b, ",\"variant_index\":%d,\"payload\":", a[i].variant);
        lift_buf_append(b, v->payload, v->payload_len);
        if (a[i].reason == LIFT_ASSIGN_OVERRIDE)
            lift_buf_puts(b, ",\"override\":true");
        else if (a[i].reason == LIFT_ASSIGN_NO_CONSENT)
            lift_buf_puts(b, ",\"in_experiment\":false");
        lift_buf_puts(b, "}");
    }
    lift_buf_puts(b, "]}");
}
