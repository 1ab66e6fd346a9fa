/* The config model (core/config.c, lift/config.h) without a database: this binary links
 * core/ and common/ only (no libpq). Defaults, the precomputed v2 bucket ranges against
 * lift_bucket_ranges/lift_choose_variant for every bucket, overrides, shared layers and the
 * refusals (those not already in test_config.c), each with its field and message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/config.h"
#include "lift/text.h"

static lift_config *cfg;

static void teardown(void)
{
    lift_config_free(cfg);
    cfg = NULL;
}

TestSuite(config_model_parse, .fini = teardown);
TestSuite(config_model_buckets, .fini = teardown);
TestSuite(config_model_overrides, .fini = teardown);
TestSuite(config_model_layers, .fini = teardown);

static const lift_experiment *load(const char *doc)
{
    lift_err err;
    lift_config_free(cfg);
    cfg = lift_config_parse(doc, strlen(doc), &err);
    cr_assert(cfg, "refused %s: %s", doc, err.msg);
    return cfg->nexperiments ? &cfg->experiments[0] : NULL;
}

static void refused(const char *doc, const char *field, const char *msg)
{
    lift_err err;
    lift_config *c = lift_config_parse(doc, strlen(doc), &err);
    cr_assert_null(c, "accepted: %s", doc);
    cr_assert_eq(err.code, LIFT_EINVAL);
    cr_assert_str_eq(err.field, field, "%s", doc);
    cr_assert_str_eq(err.msg, msg, "%s", doc);
}

#define AB        "\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}]"
#define X(fields) "{\"experiments\":[{\"key\":\"x\"," fields "}]}"

Test(config_model_parse, fills_the_defaults)
{
    const lift_experiment *e = load(X(AB));
    cr_assert_eq(cfg->version, 0);
    cr_assert_eq(cfg->nexperiments, 1);
    cr_assert_eq(cfg->nlayers, 0);
    cr_assert_str_eq(e->key, "x");
    cr_assert_eq(e->key_len, 1);
    cr_assert_str_eq(e->name, "x");
    cr_assert_str_eq(e->seed, "x");
    cr_assert_eq(e->hash_version, 2);
    cr_assert_eq(e->coverage, 1.0);
    cr_assert_eq(e->status, LIFT_STATUS_RUNNING, "a file's experiments run by default");
    cr_assert_not(e->holdout);
    cr_assert_eq(e->phase, 1);
    cr_assert_eq(e->start, 0);
    cr_assert_eq(e->end, 0);
    cr_assert_eq(e->layer, -1);
    cr_assert_eq(e->nconds, 0);
    cr_assert_eq(e->noverrides, 0);
    cr_assert_eq(e->nvariants, 2);
    cr_assert_eq(e->control, 0, "the first variant is the control");
    cr_assert(e->variants[0].control);
    cr_assert_not(e->variants[1].control);
    cr_assert_eq(e->variants[0].weight, 0.5);
    cr_assert_eq(e->variants[1].weight, 0.5);
    cr_assert_str_eq(e->variants[1].payload, "{}");
    cr_assert_eq(e->variants[1].payload_len, 2);
    /* FNV-1a 32 of "x" as UTF-16: 4245442695 (worked out in Python). */
    cr_assert_eq(e->seed_fnv, 4245442695u);
    cr_assert_eq(e->seed_u16_len, 1);
    cr_assert_eq(e->seed_u16[0], 'x');
    /* A document without experiments is an empty config. */
    cr_assert_null(load("{\"version\":3}"));
    cr_assert_eq(cfg->version, 3);
    cr_assert_eq(cfg->nexperiments, 0);
}

Test(config_model_parse, reads_every_field)
{
    const lift_experiment *e = load(
        "{\"version\":9,\"experiments\":[{\"key\":\"recs\",\"name\":\"Homepage recs\","
        "\"kind\":\"holdout\",\"status\":\"stopped\",\"seed\":\"caf\\u00e9\",\"hash_version\":1,"
        "\"coverage\":0.25,\"phase\":4,\"start\":\"2026-11-21T10:00:00Z\","
        "\"end\":\"2026-11-21T12:00:00+01:00\",\"variants\":[{\"key\":\"a\",\"weight\":0.4},"
        "{\"key\":\"b\",\"weight\":0.6,\"control\":true,\"payload\":{\"slots\": 8, \"m\": [1]}}],"
        "\"audience\":[{\"attr\":\"device\",\"op\":\"eq\",\"value\":\"mobile\"}]}]}");
    cr_assert_eq(cfg->version, 9);
    cr_assert_str_eq(e->name, "Homepage recs");
    cr_assert(e->holdout);
    cr_assert_eq(e->status, LIFT_STATUS_STOPPED);
    cr_assert_str_eq(e->seed, "caf\xc3\xa9");
    /* FNV-1a 32 of "café" over UTF-16 units: 856211068 (Python). */
    cr_assert_eq(e->seed_fnv, 856211068u);
    cr_assert_eq(e->seed_u16_len, 4);
    cr_assert_eq(e->seed_u16[3], 0xe9);
    cr_assert_eq(e->hash_version, 1);
    cr_assert_eq(e->coverage, 0.25);
    cr_assert_eq(e->phase, 4);
    cr_assert_eq(e->start, 1795255200LL * 1000000); /* date -u -d @1795255200 */
    cr_assert_eq(e->end, e->start + 3600LL * 1000000);
    cr_assert_eq(e->control, 1);
    cr_assert_not(e->variants[0].control);
    cr_assert(e->variants[1].control);
    cr_assert_str_eq(e->variants[1].payload, "{\"slots\":8,\"m\":[1]}");
    cr_assert_eq(e->nconds, 1);
    /* An empty seed means the key, as in the database. */
    e = load(X("\"seed\":\"\"," AB));
    cr_assert_str_eq(e->seed, "x");
}

#define KEY_RULE "expected 1 to 64 letters, digits, '_', '.' or '-'"

Test(config_model_parse, refuses_bad_config_naming_the_field)
{
    static const struct {
        const char *doc, *field, *msg;
    } cases[] = {
        {"[]", "", "config: expected an object {\"experiments\"}"},
        {"{\"version\":\"7\"}", "version", "version: expected a whole number"},
        {"{\"experiments\":[7]}", "experiments[0]", "experiments[0]: expected an object"},
        {"{\"experiments\":[{" AB "}]}", "experiments[0].key", "experiments[0].key: missing"},
        {X("\"variants\":[]"), "experiments[0].variants",
         "experiments[0].variants: expected an array of 1 to 100 variants"},
        {X("\"variants\":[{\"key\":\"a\"},\"b\"]"), "experiments[0].variants[1]",
         "experiments[0].variants[1]: expected an object {\"key\", \"weight\", \"payload\"}"},
        {X("\"variants\":[{\"key\":\"a\"},{\"key\":\"a\"}]"), "experiments[0].variants[1].key",
         "experiments[0].variants[1].key: duplicate variant key"},
        {X("\"variants\":[{\"key\":\"a\",\"weight\":1.5},{\"key\":\"b\"}]"),
         "experiments[0].variants[0].weight",
         "experiments[0].variants[0].weight: expected a number in [0, 1]"},
        {X("\"variants\":[{\"key\":\"a\",\"weight\":0.5},{\"key\":\"b\"}]"),
         "experiments[0].variants",
         "experiments[0].variants: give every variant a weight, or none (equal split)"},
        {X("\"variants\":[{\"key\":\"a\",\"control\":true},{\"key\":\"b\",\"control\":true}]"),
         "experiments[0].variants", "experiments[0].variants: more than one control variant"},
        {X("\"variants\":[{\"key\":\"a\",\"control\":\"yes\"},{\"key\":\"b\"}]"),
         "experiments[0].variants[0].control",
         "experiments[0].variants[0].control: expected true or false"},
        {X("\"status\":\"paused\"," AB), "experiments[0].status",
         "experiments[0].status: expected one of \"draft\", \"running\", \"stopped\""},
        {X("\"kind\":\"ab\"," AB), "experiments[0].kind",
         "experiments[0].kind: expected one of \"standard\", \"holdout\""},
        {X("\"phase\":0," AB), "experiments[0].phase",
         "experiments[0].phase: expected a whole number in [1, 1073741824]"},
        {X("\"start\":\"tomorrow\"," AB), "experiments[0].start",
         "experiments[0].start: expected an RFC 3339 time such as 2026-11-21T10:00:00Z"},
        {X("\"start\":\"2026-11-21T10:00:00Z\",\"end\":\"2026-11-21T10:00:00Z\"," AB),
         "experiments[0].end", "experiments[0].end: is not after start"},
        {X("\"seed\":5," AB), "experiments[0].seed", "experiments[0].seed: expected a string"},
        {X("\"layer\":\"L\"," AB), "experiments[0].layer",
         "experiments[0].layer: expected an object {\"name\", \"range\"}"},
        {X("\"layer\":{\"name\":\"L\",\"range\":[0.5,0.5]}," AB), "experiments[0].layer.range",
         "experiments[0].layer.range: expected 0 <= start < end <= 1"},
        {X("\"layer\":{\"name\":\"L\",\"range\":[0,\"1\"]}," AB), "experiments[0].layer.range",
         "experiments[0].layer.range: expected [start, end] numbers"},
        {X("\"overrides\":{}," AB), "experiments[0].overrides",
         "experiments[0].overrides: expected an array of {\"unit\", \"variant\"}"},
        {X(AB ",\"overrides\":[{\"unit\":\"\",\"variant\":\"a\"}]"),
         "experiments[0].overrides[0].unit",
         "experiments[0].overrides[0].unit: expected 1 to 128 bytes of UTF-8"},
        {X(AB ",\"overrides\":[{\"unit\":\"q\",\"variant\":\"a\"},{\"unit\":\"q\","
              "\"variant\":\"b\"}]"),
         "experiments[0].overrides", "experiments[0].overrides: a unit is listed twice"},
        {X("\"audience\":{}," AB), "experiments[0].audience",
         "experiments[0].audience: expected an array of conditions"},
        {X("\"variants\":[{\"key\":\"-a\"},{\"key\":\"b\"}]"), "experiments[0].variants[0].key",
         "experiments[0].variants[0].key: " KEY_RULE},
        {X("\"layer\":{\"name\":\"a b\"}," AB), "experiments[0].layer.name",
         "experiments[0].layer.name: " KEY_RULE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refused(cases[i].doc, cases[i].field, cases[i].msg);
    /* More than 100 variants. */
    char doc[8000];
    int n = snprintf(doc, sizeof doc, "{\"experiments\":[{\"key\":\"x\",\"variants\":[");
    for (int i = 0; i < 101; i++)
        n += snprintf(doc + n, sizeof doc - (size_t)n, "%s{\"key\":\"v%d\"}", i ? "," : "", i);
    snprintf(doc + n, sizeof doc - (size_t)n, "]}]}");
    refused(doc, "experiments[0].variants",
            "experiments[0].variants: expected an array of 1 to 100 variants");
    /* Drafts may be incomplete: one variant, weights not summing to 1. */
    const lift_experiment *e =
        load(X("\"status\":\"draft\",\"variants\":[{\"key\":\"a\",\"weight\":0.3}]"));
    cr_assert_eq(e->nvariants, 1);
}

/* --- v2 buckets ------------------------------------------------------------------------ */

typedef struct bucket_case {
    int n;
    double weights[8]; /* n of them, or none when weights[0] < 0 */
    double coverage;
    const char *status;
} bucket_case;

/* For every v2 bucket b (hash = b / 10000 exactly), the variant the precomputed integer
 * ranges pick is the one lift_choose_variant picks over lift_bucket_ranges. */
static void check_buckets(const bucket_case *c)
{
    char doc[2000];
    int n = snprintf(doc, sizeof doc,
                     "{\"experiments\":[{\"key\":\"x\",\"status\":\"%s\",\"coverage\":%.17g,"
                     "\"variants\":[",
                     c->status, c->coverage);
    for (int i = 0; i < c->n; i++) {
        n += snprintf(doc + n, sizeof doc - (size_t)n, "%s{\"key\":\"v%d\"", i ? "," : "", i);
        if (c->weights[0] >= 0)
            n += snprintf(doc + n, sizeof doc - (size_t)n, ",\"weight\":%.17g", c->weights[i]);
        n += snprintf(doc + n, sizeof doc - (size_t)n, "}");
    }
    snprintf(doc + n, sizeof doc - (size_t)n, "]}]}");
    const lift_experiment *e = load(doc);
    double ranges[8][2], w[8];
    for (int i = 0; i < c->n; i++)
        w[i] = c->weights[0] >= 0 ? c->weights[i] : 1.0 / c->n;
    lift_bucket_ranges(c->n, c->coverage, w, c->n, ranges);
    for (int i = 0; i < c->n; i++) {
        cr_assert_eq(e->ranges[i][0], ranges[i][0], "%s: range %d", doc, i);
        cr_assert_eq(e->ranges[i][1], ranges[i][1], "%s: range %d", doc, i);
    }
    long in_variants = 0;
    for (int b = 0; b < 10000; b++) {
        int want = lift_choose_variant((double)b / 10000, (const double(*)[2])ranges, c->n);
        int got = -1;
        for (int i = 0; i < e->nvariants; i++)
            if (b >= e->buckets[i][0] && b < e->buckets[i][1]) {
                cr_assert_eq(got, -1, "%s: bucket %d in two variants", doc, b);
                got = i;
            }
        cr_assert_eq(got, want, "%s: bucket %d: %d, lift_choose_variant says %d", doc, b, got,
                     want);
        in_variants += got >= 0;
    }
    cr_assert_gt(in_variants + (c->coverage == 0), 0, "%s: nothing bucketed", doc);
}

Test(config_model_buckets, agree_with_lift_choose_variant_for_every_v2_bucket)
{
    static const bucket_case cases[] = {
        /* 0.1 + 0.2 is 0.30000000000000004: bucket 3000 falls in the second variant. */
        {3, {0.1, 0.2, 0.7}, 1, "running"},
        {3, {0.15, 0.35, 0.5}, 0.7, "running"},
        {3, {0.333, 0.333, 0.334}, 0.999, "running"},
        {2, {0.05, 0.95}, 0.33, "running"},
        {5, {0.2, 0.2, 0.2, 0.2, 0.2}, 0.5, "running"},
        {2, {0.9999, 0.0001}, 1, "running"},
        {2, {0.5, 0.5}, 0, "running"},
        {3, {-1}, 0.99, "running"},  /* equal thirds */
        {7, {-1}, 0.77, "running"},  /* equal sevenths */
        {2, {0.2, 0.2}, 1, "draft"}, /* not summing to 1: the SDKs split equally */
        {4, {0.1, 0.2, 0.3, 0.4}, 0.123456789, "running"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_buckets(&cases[i]);
}

/* --- overrides ------------------------------------------------------------------------- */

/* The answer for one unit: its variant, and whether it was an override. */
static int assigned(const char *unit, bool *override)
{
    lift_err err;
    lift_assignment a[4];
    size_t n;
    lift_request req = {unit, strlen(unit), NULL, 0, 0, true, 0};
    cr_assert_eq(lift_assign_eval(cfg, &req, a, &n, &err), LIFT_OK, "%s: %s", unit, err.msg);
    cr_assert_eq(n, 1, "%s", unit);
    *override = a[0].reason == LIFT_ASSIGN_OVERRIDE;
    return a[0].variant;
}

Test(config_model_overrides, are_found_by_the_exact_unit)
{
    /* Listed out of order, with prefixes of one another, case and non-ASCII twins. */
    static const struct {
        const char *unit;
        int variant;
    } listed[] = {{"b", 1},           {"a", 2},   {"ab", 0}, {"A", 1},
                  {"caf\xc3\xa9", 2}, {"a b", 1}, {"aa", 2}};
    static const char *const others[] = {"a ", "B", "abc", "cafe", "caf", "ba", "aaa"};
    char doc[4000];
    int len = snprintf(doc, sizeof doc,
                       "{\"experiments\":[{\"key\":\"x\",\"coverage\":0,\"variants\":[{\"key\":"
                       "\"v0\"},{\"key\":\"v1\"},{\"key\":\"v2\"}],\"overrides\":[");
    for (size_t i = 0; i < sizeof listed / sizeof *listed; i++)
        len +=
            snprintf(doc + len, sizeof doc - (size_t)len, "%s{\"unit\":\"%s\",\"variant\":\"v%d\"}",
                     i ? "," : "", listed[i].unit, listed[i].variant);
    snprintf(doc + len, sizeof doc - (size_t)len, "]}]}");
    const lift_experiment *e = load(doc);
    cr_assert_eq(e->noverrides, sizeof listed / sizeof *listed);
    /* Sorted by bytes, a prefix first. */
    for (size_t i = 1; i < e->noverrides; i++) {
        const lift_override *p = &e->overrides[i - 1], *q = &e->overrides[i];
        size_t m = p->unit_len < q->unit_len ? p->unit_len : q->unit_len;
        int c = memcmp(p->unit, q->unit, m);
        cr_assert(c < 0 || (c == 0 && p->unit_len < q->unit_len), "%s before %s", p->unit, q->unit);
    }
    /* Coverage 0: nobody is bucketed, so any answer is an override. */
    bool forced;
    for (size_t i = 0; i < sizeof listed / sizeof *listed; i++) {
        cr_assert_eq(assigned(listed[i].unit, &forced), listed[i].variant, "%s", listed[i].unit);
        cr_assert(forced, "%s", listed[i].unit);
    }
    lift_err err;
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        lift_assignment a[1];
        size_t n;
        lift_request req = {others[i], strlen(others[i]), NULL, 0, 0, true, 0};
        cr_assert_eq(lift_assign_eval(cfg, &req, a, &n, &err), LIFT_OK);
        cr_assert_eq(n, 0, "%s: not listed, not covered, yet assigned", others[i]);
    }
}

Test(config_model_overrides, many_are_all_found)
{
    lift_buf doc;
    lift_buf_init(&doc);
    lift_buf_puts(&doc, "{\"experiments\":[{\"key\":\"x\"," AB ",\"overrides\":[");
    for (int i = 999; i >= 0; i--)
        lift_buf_printf(&doc, "{\"unit\":\"qa-%d\",\"variant\":\"%s\"}%s", i * 7, i % 3 ? "b" : "a",
                        i ? "," : "");
    lift_buf_puts(&doc, "]}]}");
    load(doc.data);
    lift_buf_fini(&doc);
    bool forced;
    long bucketed = 0;
    for (int u = 0; u < 7000; u++) {
        char unit[32];
        snprintf(unit, sizeof unit, "qa-%d", u);
        int v = assigned(unit, &forced);
        if (u % 7 == 0) {
            cr_assert(forced, "%s", unit);
            cr_assert_eq(v, (u / 7) % 3 ? 1 : 0, "%s", unit);
        } else {
            cr_assert_not(forced, "%s is no override", unit);
            bucketed++;
        }
    }
    cr_assert_eq(bucketed, 6000);
}

/* --- layers ---------------------------------------------------------------------------- */

Test(config_model_layers, are_shared_by_name)
{
    load("{\"experiments\":["
         "{\"key\":\"a\"," AB ",\"layer\":{\"name\":\"L\",\"range\":[0,0.5]}},"
         "{\"key\":\"b\"," AB ",\"layer\":{\"name\":\"L\",\"range\":[0.5,1]}},"
         "{\"key\":\"c\"," AB ",\"layer\":{\"name\":\"M\"}},"
         "{\"key\":\"d\"," AB "},"
         "{\"key\":\"e\",\"status\":\"draft\"," AB
         ",\"layer\":{\"name\":\"L\",\"range\":[0.2,0.7]}},"
         "{\"key\":\"f\",\"status\":\"stopped\"," AB
         ",\"layer\":{\"name\":\"M\",\"range\":[0,1]}}]}");
    cr_assert_eq(cfg->nlayers, 2);
    cr_assert_str_eq(cfg->layers[0].name, "L");
    cr_assert_str_eq(cfg->layers[1].name, "M");
    /* The namespace hash is seeded with "__" + name. */
    cr_assert_eq(cfg->layers[0].ns_u16_len, 3);
    cr_assert_eq(memcmp(cfg->layers[0].ns_u16, (const uint16_t[]){'_', '_', 'L'}, 6), 0);
    static const int layer[] = {0, 0, 1, -1, 0, 1};
    static const double lo[] = {0, 0.5, 0, 0, 0.2, 0}, hi[] = {0.5, 1, 1, 0, 0.7, 1};
    for (int i = 0; i < 6; i++) {
        const lift_experiment *e = &cfg->experiments[i];
        cr_assert_eq(e->layer, layer[i], "%s", e->key);
        if (e->layer >= 0) {
            cr_assert_eq(e->layer_lo, lo[i], "%s", e->key);
            cr_assert_eq(e->layer_hi, hi[i], "%s", e->key);
        }
    }
    /* Ranges that only touch do not overlap; running ones that do are refused even when a
     * draft sits between them in the list. */
    refused("{\"experiments\":["
            "{\"key\":\"a\"," AB ",\"layer\":{\"name\":\"L\",\"range\":[0,0.5]}},"
            "{\"key\":\"e\",\"status\":\"draft\"," AB ",\"layer\":{\"name\":\"L\"}},"
            "{\"key\":\"b\"," AB ",\"layer\":{\"name\":\"L\",\"range\":[0.4999,1]}}]}",
            "experiments[2].layer.range",
            "experiments[2].layer.range: range [0.4999, 1) of layer \"L\" overlaps running "
            "experiment \"a\" [0, 0.5)");
}
