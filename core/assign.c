/* GrowthBook-compatible bucketing and the evaluation of one shopper against the config. */
#include "lift/assign.h"

#include <string.h>

#include "lift/text.h"

#define FNV_PRIME      16777619u
#define HASH_INPUT_MAX 4096 /* bytes of seed or value lift_hash accepts */
#define LAYER_CACHE    64   /* layers whose namespace hash is kept per evaluation */

uint32_t lift_fnv_u16(uint32_t h, const uint16_t *units, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= units[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* True when s[0..n) is ASCII without NUL, checked eight bytes at a time. */
static bool plain_ascii(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w | ((w - ones) & ~w)) & highs) /* a high bit, or a zero byte */
            return false;
    }
    for (; i < n; i++)
        if (s[i] == 0 || s[i] >= 0x80)
            return false;
    return true;
}

long lift_utf16_from_utf8(const char *s, size_t n, uint16_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    /* Almost every id is ASCII: one unit per byte. */
    if (n <= cap && plain_ascii(p, n)) {
        for (size_t i = 0; i < n; i++)
            out[i] = p[i];
        return (long)n;
    }
    size_t k = 0;
    while (p < end) {
        uint32_t cp = *p;
        if (cp != 0 && cp < 0x80) {
            p++;
        } else if (cp == 0 || lift_utf8_next(&p, end, &cp) < 0) {
            return -1;
        }
        if (cp >= 0x10000) { /* astral: a surrogate pair, as in JavaScript strings */
            if (k + 2 > cap)
                return -1;
            cp -= 0x10000;
            out[k++] = (uint16_t)(0xD800 | (cp >> 10));
            out[k++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            if (k + 1 > cap)
                return -1;
            out[k++] = (uint16_t)cp;
        }
    }
    return (long)k;
}

/* lift_choose_variant over v2's integer buckets (see lift_experiment.buckets), without
 * branches: h is random, so a branch per range would be mispredicted half the time. */
static int choose_bucket(const lift_experiment *e, uint32_t b)
{
    int v = -1;
    for (int i = e->nvariants - 1; i >= 0; i--)
        v = ((b >= e->buckets[i][0]) & (b < e->buckets[i][1])) ? i : v;
    return v;
}

/* fnv(decimal string of x), as JavaScript's `hashFnv32a(n + "")`. The quotients x / 10^p
 * are independent multiplies (constant divisors), so the digits do not wait on a chain of
 * ten divisions by 10; a zero quotient is a leading zero, which the string does not have.
 * (Measured here: 15 ns against 26 ns for the division chain.) */
static uint32_t fnv_decimal(uint32_t x)
{
    const uint32_t q1 = x / 10u, q2 = x / 100u, q3 = x / 1000u, q4 = x / 10000u, q5 = x / 100000u,
                   q6 = x / 1000000u, q7 = x / 10000000u, q8 = x / 100000000u, q9 = x / 1000000000u;
    uint32_t g = LIFT_FNV_OFFSET;
#define DIGIT(q, upper)                                                                            \
    if (q)                                                                                         \
        g = (g ^ ('0' + ((q)-10 * (upper)))) * FNV_PRIME;
    DIGIT(q9, 0)
    DIGIT(q8, q9)
    DIGIT(q7, q8)
    DIGIT(q6, q7)
    DIGIT(q5, q6)
    DIGIT(q4, q5)
    DIGIT(q3, q4)
    DIGIT(q2, q3)
    DIGIT(q1, q2)
#undef DIGIT
    return (g ^ ('0' + (x - 10 * q1))) * FNV_PRIME;
}

/* v2: fnv(decimal(fnv(seed + unit))) % 10000 / 10000; seed_state = fnv(seed). */
static double hash_v2(uint32_t seed_state, const uint16_t *unit, size_t n)
{
    return (double)(fnv_decimal(lift_fnv_u16(seed_state, unit, n)) % 10000) / 10000;
}

/* v1: fnv(unit + seed); unit_state = fnv(unit). */
static double hash_v1(uint32_t unit_state, const uint16_t *seed, size_t n)
{
    return (double)(lift_fnv_u16(unit_state, seed, n) % 1000) / 1000;
}

int lift_hash(const char *seed, size_t seed_len, const char *value, size_t value_len, int version,
              double *out, lift_err *err)
{
    uint16_t s[HASH_INPUT_MAX], v[HASH_INPUT_MAX];
    long ns = lift_utf16_from_utf8(seed, seed_len, s, HASH_INPUT_MAX);
    if (ns < 0)
        return lift_err_field(err, LIFT_EINVAL, "seed",
                              "seed is not valid UTF-8 (or longer than %d units)", HASH_INPUT_MAX);
    long nv = lift_utf16_from_utf8(value, value_len, v, HASH_INPUT_MAX);
    if (nv < 0)
        return lift_err_field(err, LIFT_EINVAL, "value",
                              "value is not valid UTF-8 (or longer than %d units)", HASH_INPUT_MAX);
    if (version == 2)
        *out = hash_v2(lift_fnv_u16(LIFT_FNV_OFFSET, s, (size_t)ns), v, (size_t)nv);
    else if (version == 1)
        *out = hash_v1(lift_fnv_u16(LIFT_FNV_OFFSET, v, (size_t)nv), s, (size_t)ns);
    else
        return lift_err_set(err, LIFT_ENOTFOUND, "unknown hash version %d", version);
    return LIFT_OK;
}

int lift_equal_weights(int n, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = 1.0 / n;
    return n > 0 ? n : 0;
}

void lift_bucket_ranges(int n, double coverage, const double *weights, int nweights,
                        double (*ranges)[2])
{
    /* Comparisons, not fmin/fmax: a NaN coverage stays NaN, as in the SDKs. */
    if (coverage < 0)
        coverage = 0;
    else if (coverage > 1)
        coverage = 1;
    bool equal = !weights || nweights != n;
    if (!equal) {
        double total = 0;
        for (int i = 0; i < n; i++)
            total += weights[i];
        equal = total < 0.99 || total > 1.01;
    }
    double cumulative = 0;
    for (int i = 0; i < n; i++) {
        double w = equal ? 1.0 / n : weights[i];
        double start = cumulative;
        cumulative += w;
        ranges[i][0] = start;
        ranges[i][1] = start + coverage * w;
    }
}

int lift_choose_variant(double h, const double (*ranges)[2], int n)
{
    for (int i = 0; i < n; i++)
        if (h >= ranges[i][0] && h < ranges[i][1])
            return i;
    return -1;
}

/* --- evaluation ------------------------------------------------------------------------ */

/* Everything about the shopper that every experiment reuses, computed on first use. */
typedef struct shopper {
    const lift_config *cfg;
    const lift_request *req;
    uint16_t unit[LIFT_UNIT_MAX];
    size_t n;
    uint32_t unit_fnv; /* fnv(unit): the prefix of v1 and layer hashes */
    bool have_unit_fnv;
    uint64_t have_layer; /* bit i: layer_hash[i] is computed */
    double layer_hash[LAYER_CACHE];
} shopper;

/* Whether e is served at `now`: LIFT_WHY_IN, or why not. */
static lift_why timing(const lift_experiment *e, int64_t now)
{
    if (e->status != LIFT_STATUS_RUNNING)
        return LIFT_WHY_STATUS;
    if (e->start != 0 && now < e->start)
        return LIFT_WHY_NOT_STARTED;
    if (e->end != 0 && now >= e->end)
        return LIFT_WHY_ENDED;
    return LIFT_WHY_IN;
}

bool lift_experiment_active(const lift_experiment *e, int64_t now)
{
    return timing(e, now) == LIFT_WHY_IN;
}

static int find_override(const lift_experiment *e, const char *unit, size_t len)
{
    size_t lo = 0, hi = e->noverrides;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const lift_override *o = &e->overrides[mid];
        size_t common = o->unit_len < len ? o->unit_len : len;
        int c = memcmp(o->unit, unit, common);
        if (c == 0)
            c = (o->unit_len > len) - (o->unit_len < len);
        if (c == 0)
            return o->variant;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static uint32_t unit_fnv(shopper *s)
{
    if (!s->have_unit_fnv) {
        s->unit_fnv = lift_fnv_u16(LIFT_FNV_OFFSET, s->unit, s->n);
        s->have_unit_fnv = true;
    }
    return s->unit_fnv;
}

static double layer_hash(shopper *s, int layer)
{
    if (layer < LAYER_CACHE && (s->have_layer >> layer & 1))
        return s->layer_hash[layer];
    const lift_layer *l = &s->cfg->layers[layer];
    double h = hash_v1(unit_fnv(s), l->ns_u16, l->ns_u16_len);
    if (layer < LAYER_CACHE) {
        s->layer_hash[layer] = h;
        s->have_layer |= 1ULL << layer;
    }
    return h;
}

/* The gates before hashing, in the order they apply: served now, QA override (sets
 * *forced), not held out, layer range, audience. LIFT_WHY_IN when the shopper goes on to
 * be hashed; the reason otherwise. Records the layer position and the failing condition
 * in x when given (explanations); the assignment path passes NULL. */
static lift_why gate(shopper *s, const lift_experiment *e, bool held_out, int *forced,
                     lift_explanation *x)
{
    *forced = -1;
    lift_why t = timing(e, s->req->now);
    if (t != LIFT_WHY_IN)
        return t;
    /* A QA override wins even over the holdout: QA must see the variant it asked for (it
     * is served, never logged, so no analysis sees it). */
    if (e->noverrides && (*forced = find_override(e, s->req->unit, s->req->unit_len)) >= 0)
        return LIFT_WHY_OVERRIDE;
    if (held_out && !e->holdout)
        return LIFT_WHY_HELD_OUT;
    if (e->layer >= 0) {
        double h = layer_hash(s, e->layer);
        if (x)
            x->layer_hash = h;
        if (!(h >= e->layer_lo && h < e->layer_hi))
            return LIFT_WHY_LAYER;
    }
    if (e->nconds) {
        size_t c = lift_audience_failing(e->conds, e->nconds, s->req->attrs, s->req->nattrs);
        if (c < e->nconds) {
            if (x)
                x->condition = (int)c;
            return LIFT_WHY_AUDIENCE;
        }
    }
    return LIFT_WHY_IN;
}

/* The shopper's variant in e, or -1 when not in it; the whole reason in x when given. */
static int evaluate(shopper *s, const lift_experiment *e, bool held_out, lift_explanation *x)
{
    int forced;
    lift_why why = gate(s, e, held_out, &forced, x);
    int v = -1;
    if (why == LIFT_WHY_OVERRIDE) {
        v = forced;
    } else if (why == LIFT_WHY_IN) {
        double h = e->hash_version == 2 ? hash_v2(e->seed_fnv, s->unit, s->n)
                                        : hash_v1(unit_fnv(s), e->seed_u16, e->seed_u16_len);
        v = lift_choose_variant(h, (const double(*)[2])e->ranges, e->nvariants);
        if (x)
            x->hash = h;
        if (v < 0)
            why = LIFT_WHY_COVERAGE;
    }
    if (x) {
        x->why = why;
        x->variant = v;
    }
    return v;
}

/* v2 hashes of up to 8 experiments at once, one experiment per vector lane: each FNV
 * step waits on the previous multiply, and eight chains in one register keep the
 * multiplier busy instead (AVX2: 79 ns for 8 against 377 ns one by one, measured here).
 * Lanes follow the scalar path step for step (fnv_decimal's leading-zero rule becomes a
 * lane mask), so results are identical; the SDK vector tests check both paths. */
typedef uint32_t u32x8 __attribute__((vector_size(32)));

/* Built once for AVX2 and once plain, picked at load time by an ifunc resolver. Not under
 * ThreadSanitizer: the resolver runs while the program is being relocated, before the TSan
 * runtime is set up, and its instrumentation crashes there (so `make tsan` builds the plain
 * version only; the results are the same). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LIFT_NO_IFUNC
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define LIFT_NO_IFUNC
#endif
#ifdef LIFT_NO_IFUNC
#define VECTOR_CLONES
#else
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif

VECTOR_CLONES static void hash_v2_x8(const uint32_t seed[8], const uint16_t *unit, size_t n,
                                     uint32_t out[8])
{
    u32x8 h;
    memcpy(&h, seed, sizeof h);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint32_t)unit[i]) * FNV_PRIME;
    const u32x8 q[11] = {h,           h / 10u,      h / 100u,      h / 1000u,      h / 10000u,
                         h / 100000u, h / 1000000u, h / 10000000u, h / 100000000u, h / 1000000000u,
                         h * 0u};
    u32x8 g = h * 0u + LIFT_FNV_OFFSET;
    for (int p = 9; p >= 1; p--) {
        u32x8 next = (g ^ (q[p] - 10 * q[p + 1] + '0')) * FNV_PRIME;
        u32x8 digit = (u32x8)(q[p] != 0); /* all ones where this is not a leading zero */
        g = (next & digit) | (g & ~digit);
    }
    g = (g ^ (q[0] - 10 * q[1] + '0')) * FNV_PRIME;
    memcpy(out, &g, sizeof g);
}

/* Checks the unit id and prepares the per-shopper state. */
static int shopper_init(shopper *s, const lift_config *cfg, const lift_request *req, lift_err *err)
{
    if (req->unit_len == 0)
        return lift_err_field(err, LIFT_EINVAL, "unit", "unit is empty");
    if (req->unit_len > LIFT_UNIT_MAX)
        return lift_err_field(err, LIFT_EINVAL, "unit", "unit is longer than %d bytes",
                              LIFT_UNIT_MAX);
    long n = lift_utf16_from_utf8(req->unit, req->unit_len, s->unit, LIFT_UNIT_MAX);
    if (n < 0)
        return lift_err_field(err, LIFT_EINVAL, "unit", "unit is not valid UTF-8");
    s->cfg = cfg;
    s->req = req;
    s->n = (size_t)n;
    s->have_unit_fnv = false;
    s->have_layer = 0;
    return LIFT_OK;
}

/* The index of the running holdout whose control holds the shopper, or -1. */
static int holding_out(shopper *s)
{
    for (size_t i = 0; i < s->cfg->nexperiments; i++) {
        const lift_experiment *e = &s->cfg->experiments[i];
        if (e->holdout && lift_experiment_active(e, s->req->now) &&
            evaluate(s, e, false, NULL) == e->control)
            return (int)i;
    }
    return -1;
}

int lift_assign_eval(const lift_config *cfg, const lift_request *req, lift_assignment *out,
                     size_t *nout, lift_err *err)
{
    *nout = 0;
    shopper s;
    int rc = shopper_init(&s, cfg, req, err);
    if (rc != LIFT_OK)
        return rc;
    size_t first = req->only >= 0 ? (size_t)req->only : 0;
    size_t last = req->only >= 0 ? first + 1 : cfg->nexperiments;
    size_t k = 0;
    if (!req->consent) {
        for (size_t i = first; i < last; i++)
            if (lift_experiment_active(&cfg->experiments[i], req->now))
                out[k++] =
                    (lift_assignment){(int)i, cfg->experiments[i].control, LIFT_ASSIGN_NO_CONSENT};
        *nout = k;
        return LIFT_OK;
    }
    /* Shoppers held out by a holdout experiment see no standard experiment. */
    bool held_out = holding_out(&s) >= 0;

    /* Eligible experiments that need a v2 hash wait in `pending` and are hashed eight at a
     * time; everything else is decided on the spot. Entries keep config order. */
    int pending[8];
    uint32_t seeds[8];
    int np = 0;
    for (size_t i = first; i <= last; i++) {
        bool flush = i == last;
        if (!flush) {
            const lift_experiment *e = &cfg->experiments[i];
            int forced;
            lift_why why = gate(&s, e, held_out, &forced, NULL);
            if (why == LIFT_WHY_OVERRIDE) {
                out[k++] = (lift_assignment){(int)i, forced, LIFT_ASSIGN_OVERRIDE};
                continue;
            }
            if (why != LIFT_WHY_IN)
                continue;
            if (e->hash_version != 2) {
                double h = hash_v1(unit_fnv(&s), e->seed_u16, e->seed_u16_len);
                int v = lift_choose_variant(h, (const double(*)[2])e->ranges, e->nvariants);
                if (v >= 0)
                    out[k++] = (lift_assignment){(int)i, v, LIFT_ASSIGN_BUCKETED};
                continue;
            }
            /* Hold the slot so the entry stays in config order. */
            out[k] = (lift_assignment){(int)i, -1, LIFT_ASSIGN_BUCKETED};
            pending[np] = (int)k++;
            seeds[np++] = e->seed_fnv;
            flush = np == 8;
        }
        if (flush && np) {
            uint32_t g[8];
            if (np <= 2) { /* one chain's latency is lower on the scalar unit */
                for (int p = 0; p < np; p++)
                    g[p] = fnv_decimal(lift_fnv_u16(seeds[p], s.unit, s.n));
            } else {
                for (int p = np; p < 8; p++)
                    seeds[p] = seeds[0];
                hash_v2_x8(seeds, s.unit, s.n, g);
            }
            for (int p = 0; p < np; p++)
                out[pending[p]].variant =
                    choose_bucket(&cfg->experiments[out[pending[p]].experiment], g[p] % 10000);
            np = 0;
        }
    }
    /* Drop the held slots whose shopper fell outside every variant (coverage). */
    size_t kept = 0;
    for (size_t i = 0; i < k; i++)
        if (out[i].variant >= 0)
            out[kept++] = out[i];
    *nout = kept;
    return LIFT_OK;
}

int lift_assign_explain(const lift_config *cfg, const lift_request *req, lift_explanation *out,
                        lift_err *err)
{
    shopper s;
    int rc = shopper_init(&s, cfg, req, err);
    if (rc != LIFT_OK)
        return rc;
    int holdout = req->consent ? holding_out(&s) : -1;
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_experiment *e = &cfg->experiments[i];
        lift_explanation *x = &out[i];
        *x = (lift_explanation){LIFT_WHY_IN, -1, -1, -1, -1, -1};
        if (!req->consent) { /* as lift_assign_eval: every served experiment's control */
            x->why = timing(e, req->now);
            if (x->why == LIFT_WHY_IN) {
                x->why = LIFT_WHY_NO_CONSENT;
                x->variant = e->control;
            }
            continue;
        }
        evaluate(&s, e, holdout >= 0, x);
        if (x->why == LIFT_WHY_HELD_OUT)
            x->holdout = holdout;
    }
    return LIFT_OK;
}

const char *lift_why_name(lift_why why)
{
    static const char *const names[] = {"in",          "override", "no_consent", "status",
                                        "not_started", "ended",    "held_out",   "layer",
                                        "audience",    "coverage"};
    return names[why];
}
