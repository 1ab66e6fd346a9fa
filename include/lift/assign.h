/* Assignment: GrowthBook-compatible bucketing and the evaluation of one shopper against
 * the running config. Pure functions: no I/O, and nothing allocated per evaluation.
 *
 * Facts of the public algorithm (GrowthBook SDK spec 0.8; docs/architecture.md, Bucketing):
 *   FNV-1a 32 over UTF-16 code units (JavaScript's charCodeAt), not UTF-8 bytes;
 *   hash v2 = fnv(decimal(fnv(seed + unit))) % 10000 / 10000;
 *   hash v1 = fnv(unit + seed) % 1000 / 1000;
 *   variant i owns [W_i, W_i + coverage * w_i), W_i = sum of earlier weights;
 *   a shopper is in layer range [a, b) of layer L when hash("__" + L, unit, 1) is in it. */
#ifndef LIFT_ASSIGN_H
#define LIFT_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/config.h"
#include "lift/err.h"

/* Longest unit id accepted, in UTF-8 bytes (and so at most this many UTF-16 units). */
#define LIFT_UNIT_MAX 128

/* FNV-1a 32 state, continued over UTF-16 code units (start from LIFT_FNV_OFFSET). */
#define LIFT_FNV_OFFSET 2166136261u
uint32_t lift_fnv_u16(uint32_t h, const uint16_t *units, size_t n);

/* Decodes UTF-8 into UTF-16 code units (astral code points become surrogate pairs).
 * Returns the number of units written, or -1 for invalid UTF-8, a NUL byte, or more than
 * cap units. */
long lift_utf16_from_utf8(const char *s, size_t n, uint16_t *out, size_t cap);

/* hash(seed, value, version) as the SDKs compute it. Returns LIFT_OK and sets *out;
 * LIFT_ENOTFOUND for an unknown version (the SDKs return null); LIFT_EINVAL when seed or
 * value is not valid UTF-8 (refused, never hashed). Seed and value up to 4096 bytes. */
int lift_hash(const char *seed, size_t seed_len, const char *value, size_t value_len, int version,
              double *out, lift_err *err);

/* Bucket ranges for n variants: coverage clamped to [0, 1]; weights replaced by equal ones
 * when NULL, of another length (nweights != n) or not summing to 1 ± 0.01, exactly as the
 * SDKs do. Writes n ranges [lo, hi) into ranges. */
void lift_bucket_ranges(int n, double coverage, const double *weights, int nweights,
                        double (*ranges)[2]);

/* The first range holding h (lo <= h < hi), or -1. */
int lift_choose_variant(double h, const double (*ranges)[2], int n);

/* Equal weights 1/n (n <= 0 gives none). Returns the number written. */
int lift_equal_weights(int n, double *out);

/* --- evaluation against the whole config ---------------------------------------------- */

typedef enum {
    LIFT_ASSIGN_BUCKETED = 0, /* hashed into a variant: logged as an exposure */
    LIFT_ASSIGN_OVERRIDE,     /* QA override: served, not logged */
    LIFT_ASSIGN_NO_CONSENT    /* no analytics consent: control, not logged */
} lift_assign_reason;

typedef struct lift_assignment {
    int experiment; /* index into cfg->experiments */
    int variant;    /* index into that experiment's variants */
    lift_assign_reason reason;
} lift_assignment;

typedef struct lift_request {
    const char *unit;
    size_t unit_len;
    const lift_attr *attrs; /* request attributes, for audiences */
    size_t nattrs;
    int64_t now;  /* microseconds since the epoch, for start/end times */
    bool consent; /* false: every running experiment answers its control, unlogged */
    int only;     /* an experiment index to evaluate alone, or -1 for all */
} lift_request;

/* Whether e is running at time now (status running, and now within [start, end) where
 * they are set). */
bool lift_experiment_active(const lift_experiment *e, int64_t now);

/* Evaluates every running experiment (or only req->only) for one shopper, in config
 * order. A shopper in the control variant of a running holdout experiment is in no
 * standard experiment. Writes at most cfg->nexperiments entries to out and their number
 * to *nout. LIFT_EINVAL when the unit id is empty, longer than LIFT_UNIT_MAX bytes or not
 * valid UTF-8 (err->field = "unit"). */
int lift_assign_eval(const lift_config *cfg, const lift_request *req, lift_assignment *out,
                     size_t *nout, lift_err *err);

/* Why a shopper is, or is not, in one experiment: lift_assign_explain's answer, from the
 * same gates and hashes as lift_assign_eval. They apply in this order: status and time
 * window, consent, QA override, holdout, layer range, audience, then the hash (coverage or
 * a variant). */
typedef enum {
    LIFT_WHY_IN,          /* hashed into a variant (an exposure when served) */
    LIFT_WHY_OVERRIDE,    /* a QA override gives it a variant */
    LIFT_WHY_NO_CONSENT,  /* no analytics consent: the control, not in the experiment */
    LIFT_WHY_STATUS,      /* the experiment is a draft or stopped */
    LIFT_WHY_NOT_STARTED, /* before its start time */
    LIFT_WHY_ENDED,       /* at or after its end time */
    LIFT_WHY_HELD_OUT,    /* in the control of a running holdout experiment */
    LIFT_WHY_LAYER,       /* its position in the layer is outside the experiment's range */
    LIFT_WHY_AUDIENCE,    /* an audience condition does not hold */
    LIFT_WHY_COVERAGE     /* its hash falls in the part of the range coverage leaves out */
} lift_why;

typedef struct lift_explanation {
    lift_why why;
    int variant;       /* the variant served (IN, OVERRIDE, NO_CONSENT), else -1 */
    double hash;       /* the bucketing hash in [0, 1) (IN, COVERAGE), else -1 */
    double layer_hash; /* the shopper's position in the layer, or -1 without a layer */
    int condition;     /* the failing condition's index (AUDIENCE), else -1 */
    int holdout;       /* the holdout experiment's index (HELD_OUT), else -1 */
} lift_explanation;

/* Explains every experiment of cfg (all of them, whatever their status) for one shopper:
 * writes cfg->nexperiments entries to out. The shopper gets exactly the variants
 * lift_assign_eval returns for the same request: the entries that are IN, OVERRIDE or
 * NO_CONSENT (req->only is ignored). LIFT_EINVAL for a bad unit id, as lift_assign_eval. */
int lift_assign_explain(const lift_config *cfg, const lift_request *req, lift_explanation *out,
                        lift_err *err);

/* A short name for a reason ("layer", "coverage"). */
const char *lift_why_name(lift_why why);

/* Appends the contract's answer for one shopper, as liftd and liftctl print it:
 *   {"unit":U,"assignments":[{"experiment":K,"variant":V,"variant_index":i,"payload":{..}}]}
 * with "override":true on QA overrides and "in_experiment":false without consent. */
struct lift_buf;
void lift_assign_render(struct lift_buf *b, const lift_config *cfg, const char *unit,
                        size_t unit_len, const lift_assignment *a, size_t n);

#endif
