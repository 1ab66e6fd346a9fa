/* The cached GrowthBook payload (see features.h). */
#include "features.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/growthbook.h"
#include "lift/text.h"

struct lift_features {
    pthread_mutex_t lock;
    lift_payload *current;
};

lift_features *lift_features_new(void)
{
    lift_features *f = calloc(1, sizeof *f);
    if (f)
        pthread_mutex_init(&f->lock, NULL);
    return f;
}

void lift_features_free(lift_features *f)
{
    if (!f)
        return;
    lift_payload_unref(f->current);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

void lift_payload_unref(lift_payload *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1)
        free(p);
}

void lift_payload_unref_body(void *body)
{
    lift_payload_unref((lift_payload *)(void *)((char *)body - offsetof(lift_payload, body)));
}

static lift_payload *render(const lift_config *cfg, int64_t now)
{
    lift_buf b;
    lift_buf_init(&b);
    int64_t until, updated;
    lift_gb_payload(&b, cfg, now, &until, &updated);
    lift_buf_puts(&b, "\n");
    lift_payload *p = b.failed ? NULL : malloc(sizeof *p + b.len + 1);
    if (p) {
        atomic_init(&p->refs, 1);
        p->version = cfg->version;
        p->valid_until = until;
        p->len = b.len;
        memcpy(p->body, b.data, b.len + 1);
        snprintf(p->etag, sizeof p->etag, "\"%016llx\"", (unsigned long long)lift_fnv64(p->body));
    }
    lift_buf_fini(&b);
    return p;
}

lift_payload *lift_features_get(lift_features *f, const lift_config *cfg, int64_t now)
{
    pthread_mutex_lock(&f->lock);
    lift_payload *p = f->current;
    if (!p || p->version != cfg->version || now >= p->valid_until) {
        lift_payload *fresh = render(cfg, now);
        /* A request still holding an older snapshot gets its own payload, uncached. */
        if (fresh && p && cfg->version < p->version) {
            pthread_mutex_unlock(&f->lock);
            return fresh;
        }
        if (fresh) {
            lift_payload_unref(f->current);
            f->current = fresh;
        }
        p = fresh;
    }
    if (p)
        atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&f->lock);
    return p;
}
