/* The experiment config model: experiments, variants, layers, audiences, overrides, as
 * one immutable snapshot. One model, two loaders: a JSON document (a file, or the
 * database's lift.config_document(), which emits the same format). */
#ifndef LIFT_CONFIG_H
#define LIFT_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/audience.h"
#include "lift/err.h"

/* The most variants an experiment may have (the database refuses more, too). */
#define LIFT_VARIANTS_MAX 100

typedef enum { LIFT_STATUS_DRAFT, LIFT_STATUS_RUNNING, LIFT_STATUS_STOPPED } lift_status;

typedef struct lift_variant {
    const char *key;
    double weight;
    const char *payload; /* compact JSON text */
    size_t payload_len;
    bool control;
} lift_variant;

typedef struct lift_override {
    const char *unit;
    size_t unit_len;
    int variant;
} lift_override;

typedef struct lift_experiment {
    const char *key;
    size_t key_len;
    const char *name;
    const char *seed;
    int hash_version;
    double coverage;
    lift_status status;
    bool holdout; /* kind "holdout": its control variant is the global holdout */
    int phase;
    int64_t start, end; /* microseconds since the epoch; 0 when unset */
    int layer;          /* index into cfg->layers, or -1 */
    double layer_lo, layer_hi;
    lift_cond *conds;
    size_t nconds;
    lift_variant *variants;
    int nvariants;
    int control;         /* index of the control variant */
    double (*ranges)[2]; /* bucket ranges, precomputed */
    /* The same ranges over v2's integer buckets b = fnv % 10000: the double h = b / 10000
     * is in [lo, hi) exactly when b is in [buckets[i][0], buckets[i][1]). */
    uint16_t (*buckets)[2];
    lift_override *overrides; /* sorted by unit (bytes) */
    size_t noverrides;
    /* Precomputed hashing state: FNV of the seed (v2 hashes seed + unit), and the seed's
     * UTF-16 units (v1 hashes unit + seed). */
    uint32_t seed_fnv;
    const uint16_t *seed_u16;
    size_t seed_u16_len;
} lift_experiment;

typedef struct lift_layer {
    const char *name;
    const uint16_t *ns_u16; /* "__" + name as UTF-16: the namespace hash's seed */
    size_t ns_u16_len;
} lift_layer;

/* A publishable client key (lift.client_keys): what a browser may do with it. Only the
 * key's SHA-256 digest is known. */
typedef struct lift_client_key {
    const char *id;           /* the public prefix, "pk_3f9a1c2e" */
    unsigned char digest[32]; /* SHA-256 of the whole key */
    const char **origins;     /* lower case scheme://host[:port]; CORS is granted to these */
    size_t norigins;
    const char **event_types; /* what POST /v1/events may carry with this key */
    size_t nevent_types;
    double rate;  /* requests per second (token bucket refill); 0: no limit */
    double burst; /* bucket size */
} lift_client_key;

typedef struct lift_config {
    int64_t version;
    int64_t updated; /* when the config last changed (microseconds since the epoch); 0: unknown */
    lift_experiment *experiments;
    size_t nexperiments;
    lift_layer *layers;
    size_t nlayers;
    lift_client_key *client_keys; /* sorted by digest */
    size_t nclient_keys;
    struct lift_arena *arena; /* owns everything above */
} lift_config;

/* Builds a config from a JSON document:
 *   {"version": 7, "experiments": [{"key", "name", "kind", "status", "seed", "hash_version",
 *     "coverage", "phase", "start", "end", "variants": [{"key", "weight", "payload",
 *     "control"}], "layer": {"name", "range": [a, b]}, "audience": [{"attr", "op",
 *     "value"}], "overrides": [{"unit", "variant"}]}]}
 * plus "updated" (an RFC 3339 time) and "client_keys": [{"id", "digest": "sha256:<hex>",
 *   "origins": [..], "event_types": [..], "rate", "burst"}], both optional.
 * Only "key" and "variants" are required. Defaults follow the SQL tables (seed = key,
 * hash_version 2, coverage 1, kind standard, control = the first variant) except status,
 * which defaults to "running" in a file. The same rules as the database apply: weights in
 * [0, 1] summing to 1, at least 2 variants and one control when running, ranges within
 * [0, 1], no overlapping ranges of running experiments in a layer.
 * Returns a new config (caller frees with lift_config_free) or NULL with err naming the
 * field ("experiments[2].coverage"). */
lift_config *lift_config_from_json(const json_t *doc, lift_err *err);

/* As above from text (a file's contents). */
lift_config *lift_config_parse(const char *text, size_t len, lift_err *err);

void lift_config_free(lift_config *cfg); /* NULL is a no-op */

/* Index of the experiment with this key, or -1. */
int lift_config_find(const lift_config *cfg, const char *key, size_t len);

/* The client key with this SHA-256 digest, or NULL. */
const lift_client_key *lift_config_client_key(const lift_config *cfg,
                                              const unsigned char digest[32]);

/* Index of the variant with this key in experiment e, or -1. */
int lift_config_variant(const lift_experiment *e, const char *key, size_t len);

#endif
