/* Assignment core: the public GrowthBook vectors, the JavaScript SDK's own answers for
 * 600 shoppers, uniformity and independence (chi-square), coverage monotonicity, and the
 * evaluation rules (layers, audiences, overrides, holdout, consent, time window). */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/text.h"

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert(j, "%s: %s", path, jerr.text);
    return j;
}

static double hash_of(const char *seed, const char *value, int version)
{
    double h = -1;
    lift_err err;
    cr_assert_eq(lift_hash(seed, strlen(seed), value, strlen(value), version, &h, &err), LIFT_OK,
                 "%s", err.msg);
    return h;
}

/* --- the public vectors (tests/vectors/growthbook-bucketing.json, SDK spec 0.8) ------- */

Test(assign_vectors, hash)
{
    json_t *v = load_json("tests/vectors/growthbook-bucketing.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "hash"), i, c)
    {
        const char *seed = json_string_value(json_array_get(c, 0));
        const char *value = json_string_value(json_array_get(c, 1));
        int version = (int)json_integer_value(json_array_get(c, 2));
        const json_t *want = json_array_get(c, 3);
        double h;
        lift_err err;
        int rc = lift_hash(seed, strlen(seed), value, strlen(value), version, &h, &err);
        if (json_is_null(want)) {
            cr_assert_eq(rc, LIFT_ENOTFOUND, "case %zu: unknown version must give null", i);
        } else {
            cr_assert_eq(rc, LIFT_OK, "case %zu: %s", i, err.msg);
            /* Exact: both sides compute (integer % 10000) / 10000 in IEEE doubles. */
            cr_assert_eq(h, json_number_value(want), "case %zu (%s, %s, v%d): got %.17g", i, seed,
                         value, version, h);
        }
    }
    json_decref(v);
}

Test(assign_vectors, get_bucket_range)
{
    json_t *v = load_json("tests/vectors/growthbook-bucketing.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "getBucketRange"), i, c)
    {
        const json_t *args = json_array_get(c, 1), *want = json_array_get(c, 2);
        int n = (int)json_integer_value(json_array_get(args, 0));
        double coverage = json_number_value(json_array_get(args, 1));
        const json_t *jw = json_array_get(args, 2);
        double weights[8], ranges[8][2];
        int nw = (int)json_array_size(jw);
        for (int k = 0; k < nw; k++)
            weights[k] = json_number_value(json_array_get(jw, (size_t)k));
        lift_bucket_ranges(n, coverage, json_is_null(jw) ? NULL : weights, nw, ranges);
        cr_assert_eq((int)json_array_size(want), n);
        for (int k = 0; k < n; k++)
            for (int side = 0; side < 2; side++) {
                double w = json_number_value(
                    json_array_get(json_array_get(want, (size_t)k), (size_t)side));
                /* The vectors print 6 decimals ("0.9999" for 0.4 + 0.5999). */
                cr_assert(fabs(ranges[k][side] - w) < 1e-9, "%s: range %d side %d: %.17g vs %g",
                          json_string_value(json_array_get(c, 0)), k, side, ranges[k][side], w);
            }
    }
    json_decref(v);
}

Test(assign_vectors, choose_variation)
{
    json_t *v = load_json("tests/vectors/growthbook-bucketing.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "chooseVariation"), i, c)
    {
        double h = json_number_value(json_array_get(c, 1));
        const json_t *jr = json_array_get(c, 2);
        double ranges[8][2];
        int n = (int)json_array_size(jr);
        for (int k = 0; k < n; k++)
            for (int side = 0; side < 2; side++)
                ranges[k][side] =
                    json_number_value(json_array_get(json_array_get(jr, (size_t)k), (size_t)side));
        cr_assert_eq(lift_choose_variant(h, (const double(*)[2])ranges, n),
                     (int)json_integer_value(json_array_get(c, 3)), "%s",
                     json_string_value(json_array_get(c, 0)));
    }
    json_decref(v);
}

/* inNamespace(unit, [L, a, b]) is hash("__" + L, unit, 1) in [a, b): the layer rule. */
Test(assign_vectors, in_namespace)
{
    json_t *v = load_json("tests/vectors/growthbook-bucketing.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "inNamespace"), i, c)
    {
        const char *unit = json_string_value(json_array_get(c, 1));
        const json_t *ns = json_array_get(c, 2);
        char seed[128];
        snprintf(seed, sizeof seed, "__%s", json_string_value(json_array_get(ns, 0)));
        double h = hash_of(seed, unit, 1);
        bool in = h >= json_number_value(json_array_get(ns, 1)) &&
                  h < json_number_value(json_array_get(ns, 2));
        cr_assert_eq(in, json_is_true(json_array_get(c, 3)), "%s",
                     json_string_value(json_array_get(c, 0)));

        /* The same through the evaluator: an experiment in that layer range. */
        char doc[512];
        snprintf(doc, sizeof doc,
                 "{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}],"
                 "\"layer\":{\"name\":\"%s\",\"range\":[%g,%g]}}]}",
                 json_string_value(json_array_get(ns, 0)), json_number_value(json_array_get(ns, 1)),
                 json_number_value(json_array_get(ns, 2)));
        lift_err err;
        lift_config *cfg = lift_config_parse(doc, strlen(doc), &err);
        cr_assert(cfg, "%s", err.msg);
        lift_assignment out[1];
        size_t n;
        lift_request req = {unit, strlen(unit), NULL, 0, 0, true, -1};
        cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK);
        cr_assert_eq(n == 1, in, "%s via the evaluator", json_string_value(json_array_get(c, 0)));
        lift_config_free(cfg);
    }
    json_decref(v);
}

Test(assign_vectors, get_equal_weights)
{
    json_t *v = load_json("tests/vectors/growthbook-bucketing.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "getEqualWeights"), i, c)
    {
        double w[8];
        int n = lift_equal_weights((int)json_integer_value(json_array_get(c, 0)), w);
        const json_t *want = json_array_get(c, 1);
        cr_assert_eq(n, (int)json_array_size(want));
        for (int k = 0; k < n; k++)
            cr_assert(fabs(w[k] - json_number_value(json_array_get(want, (size_t)k))) < 1e-8);
    }
    json_decref(v);
}

/* --- the JavaScript SDK's answers (tests/ref/growthbook_assign.js) --------------------- */

Test(assign_sdk, matches_growthbook_js_for_600_shoppers)
{
    json_t *ref = load_json("tests/ref/growthbook-assign.json");
    const json_t *units = json_object_get(ref, "units");
    const json_t *exps = json_object_get(ref, "experiments");
    /* Rewrite the SDK's experiments in lift's config format. */
    json_t *doc = json_pack("{s:[]}", "experiments");
    size_t i;
    json_t *e;
    json_array_foreach(exps, i, e)
    {
        json_t *variants = json_array();
        json_t *weights = json_object_get(e, "weights");
        for (size_t k = 0; k < json_array_size(weights); k++) {
            char key[24];
            snprintf(key, sizeof key, "v%zu", k);
            json_array_append_new(variants, json_pack("{s:s, s:O}", "key", key, "weight",
                                                      json_array_get(weights, k)));
        }
        json_t *x =
            json_pack("{s:O, s:O, s:O, s:O, s:o}", "key", json_object_get(e, "key"), "seed",
                      json_object_get(e, "seed"), "hash_version", json_object_get(e, "hashVersion"),
                      "coverage", json_object_get(e, "coverage"), "variants", variants);
        json_t *ns = json_object_get(e, "namespace");
        if (ns)
            json_object_set_new(x, "layer",
                                json_pack("{s:O, s:[O,O]}", "name", json_array_get(ns, 0), "range",
                                          json_array_get(ns, 1), json_array_get(ns, 2)));
        json_array_append_new(json_object_get(doc, "experiments"), x);
    }
    lift_err err;
    lift_config *cfg = lift_config_from_json(doc, &err);
    cr_assert(cfg, "%s", err.msg);
    size_t nexp = json_array_size(exps), nunits = json_array_size(units);
    for (size_t x = 0; x < nexp; x++) {
        const char *want = json_string_value(json_array_get(json_object_get(ref, "expected"), x));
        for (size_t u = 0; u < nunits; u++) {
            const char *unit = json_string_value(json_array_get(units, u));
            lift_request req = {unit, strlen(unit), NULL, 0, 0, true, (int)x};
            lift_assignment out[1];
            size_t n;
            cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK, "%s", err.msg);
            char got = n ? (char)('0' + out[0].variant) : '-';
            cr_assert_eq(got, want[u], "experiment %s, unit \"%s\": lift %c, SDK %c",
                         cfg->experiments[x].key, unit, got, want[u]);
        }
    }
    /* All six at once: the four v2 experiments share the 8-lane vector path. */
    for (size_t u = 0; u < nunits; u++) {
        const char *unit = json_string_value(json_array_get(units, u));
        lift_request req = {unit, strlen(unit), NULL, 0, 0, true, -1};
        lift_assignment out[8];
        size_t n;
        cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK, "%s", err.msg);
        char got[8] = "------";
        for (size_t k = 0; k < n; k++)
            got[out[k].experiment] = (char)('0' + out[k].variant);
        for (size_t x = 0; x < nexp; x++) {
            const char *want =
                json_string_value(json_array_get(json_object_get(ref, "expected"), x));
            cr_assert_eq(got[x], want[u],
                         "all at once: experiment %s, unit \"%s\": lift %c, "
                         "SDK %c",
                         cfg->experiments[x].key, unit, got[x], want[u]);
        }
    }
    lift_config_free(cfg);
    json_decref(doc);
    json_decref(ref);
}

/* Many v2 experiments at once (vector lanes) answer as each one alone (scalar path). */
Test(assign_sdk, vector_and_scalar_paths_agree)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_puts(&b, "{\"experiments\":[");
    for (int i = 0; i < 21; i++)
        lift_buf_printf(&b,
                        "%s{\"key\":\"e%d\",\"seed\":\"s%d\",\"coverage\":0.%d,\"variants\":"
                        "[{\"key\":\"a\"},{\"key\":\"b\"},{\"key\":\"c\"}]}",
                        i ? "," : "", i, i * 7919, 3 + i % 7);
    lift_buf_puts(&b, "]}");
    lift_err err;
    lift_config *cfg = lift_config_parse(b.data, b.len, &err);
    cr_assert(cfg, "%s", err.msg);
    for (long i = 0; i < 20000; i++) {
        char id[64];
        snprintf(id, sizeof id, i % 3 ? "id-%ld" : "ü-%ld-😀", i);
        lift_request req = {id, strlen(id), NULL, 0, 0, true, -1};
        lift_assignment all[21], one[1];
        size_t n, n1, k = 0;
        cr_assert_eq(lift_assign_eval(cfg, &req, all, &n, &err), LIFT_OK);
        for (int x = 0; x < 21; x++) {
            req.only = x;
            cr_assert_eq(lift_assign_eval(cfg, &req, one, &n1, &err), LIFT_OK);
            req.only = -1;
            if (n1 == 0)
                continue;
            cr_assert(k < n && all[k].experiment == x && all[k].variant == one[0].variant,
                      "%s, experiment e%d: alone %d, together %d", id, x, one[0].variant,
                      k < n && all[k].experiment == x ? all[k].variant : -1);
            k++;
        }
        cr_assert_eq(k, n, "%s: %zu extra assignments together", id, n - k);
    }
    lift_config_free(cfg);
    lift_buf_fini(&b);
}

/* --- text: UTF-16 as JavaScript sees it ------------------------------------------------ */

Test(assign_utf16, astral_code_points_become_surrogate_pairs)
{
    uint16_t u[8];
    /* U+1F600 = D83D DE00; U+00FC = 00FC; "a" = 0061. */
    cr_assert_eq(lift_utf16_from_utf8("a\xc3\xbc\xf0\x9f\x98\x80", 7, u, 8), 4);
    cr_assert_eq(u[0], 0x61);
    cr_assert_eq(u[1], 0xFC);
    cr_assert_eq(u[2], 0xD83D);
    cr_assert_eq(u[3], 0xDE00);
    /* FNV over those units, worked by hand: h = (h ^ unit) * 16777619 mod 2^32. */
    uint32_t h = 2166136261u;
    for (int i = 0; i < 4; i++)
        h = (h ^ u[i]) * 16777619u;
    cr_assert_eq(lift_fnv_u16(LIFT_FNV_OFFSET, u, 4), h);
}

Test(assign_utf16, refuses_invalid_utf8)
{
    static const char *const bad[] = {"\xff",     "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                      "\xe2\x82", "x\xc3"};
    uint16_t u[8];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(lift_utf16_from_utf8(bad[i], strlen(bad[i]), u, 8), -1, "case %zu", i);
        double h;
        lift_err err;
        cr_assert_eq(lift_hash("seed", 4, bad[i], strlen(bad[i]), 2, &h, &err), LIFT_EINVAL);
        cr_assert_str_eq(err.msg, "value is not valid UTF-8 (or longer than 4096 units)");
    }
    cr_assert_eq(lift_utf16_from_utf8("a\0b", 3, u, 8), -1, "NUL bytes are refused");
}

/* --- statistical properties of the bucketing ------------------------------------------- */

#define N_IDS 1000000

static void make_id(char *buf, size_t len, long i)
{
    snprintf(buf, len, "shopper-%ld-%lx", i, (unsigned long)(i * 2654435761UL) & 0xffffff);
}

Test(assign_stats, uniform_over_a_million_ids_per_weight_set, .timeout = 60)
{
    static const double sets[][4] = {
        {0.5, 0.5}, {0.2, 0.3, 0.5}, {0.25, 0.25, 0.25, 0.25}, {0.1, 0.9}};
    static const int sizes[] = {2, 3, 4, 2};
    for (int s = 0; s < 4; s++) {
        double ranges[4][2];
        long count[4] = {0};
        lift_bucket_ranges(sizes[s], 1, sets[s], sizes[s], ranges);
        char seed[16];
        snprintf(seed, sizeof seed, "uniform-%d", s);
        for (long i = 0; i < N_IDS; i++) {
            char id[64];
            make_id(id, sizeof id, i);
            int v = lift_choose_variant(hash_of(seed, id, 2), (const double(*)[2])ranges, sizes[s]);
            cr_assert_geq(v, 0);
            count[v]++;
        }
        double chi2 = 0;
        for (int v = 0; v < sizes[s]; v++) {
            double want = N_IDS * sets[s][v];
            chi2 += (count[v] - want) * (count[v] - want) / want;
        }
        double p = gsl_cdf_chisq_Q(chi2, sizes[s] - 1);
        cr_assert_gt(p, 0.001, "weight set %d: chi2 %.2f, p %.4g", s, chi2, p);
    }
}

Test(assign_stats, experiments_with_different_seeds_are_independent, .timeout = 60)
{
    double ranges[3][2];
    lift_bucket_ranges(3, 1, NULL, 0, ranges);
    long table[3][3] = {{0}};
    for (long i = 0; i < N_IDS; i++) {
        char id[64];
        make_id(id, sizeof id, i);
        int a = lift_choose_variant(hash_of("homepage_recs", id, 2), (const double(*)[2])ranges, 3);
        int b =
            lift_choose_variant(hash_of("search_ranking", id, 2), (const double(*)[2])ranges, 3);
        table[a][b]++;
    }
    /* Pearson chi-square test of independence on the 3x3 table, df = 4. */
    double rows[3] = {0}, cols[3] = {0}, chi2 = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            rows[a] += (double)table[a][b];
            cols[b] += (double)table[a][b];
        }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double want = rows[a] * cols[b] / N_IDS;
            chi2 += (table[a][b] - want) * (table[a][b] - want) / want;
        }
    double p = gsl_cdf_chisq_Q(chi2, 4);
    cr_assert_gt(p, 0.001, "chi2 %.2f, p %.4g", chi2, p);
}

Test(assign_stats, lowering_coverage_never_moves_a_shopper)
{
    static const double coverages[] = {1, 0.8, 0.5, 0.25, 0.05, 0};
    static const double weights[] = {0.2, 0.3, 0.5};
    for (long i = 0; i < 100000; i++) {
        char id[64];
        make_id(id, sizeof id, i);
        double h = hash_of("coverage", id, 2);
        int before = -2;
        for (size_t c = 0; c < sizeof coverages / sizeof *coverages; c++) {
            double ranges[3][2];
            lift_bucket_ranges(3, coverages[c], weights, 3, ranges);
            int v = lift_choose_variant(h, (const double(*)[2])ranges, 3);
            if (before != -2)
                cr_assert(v == -1 || v == before, "%s moved from %d to %d when coverage fell to %g",
                          id, before, v, coverages[c]);
            if (before == -1)
                cr_assert_eq(v, -1, "%s joined when coverage fell", id);
            before = v;
        }
    }
}

/* --- evaluation rules ------------------------------------------------------------------ */

static lift_config *config(const char *doc)
{
    lift_err err;
    lift_config *cfg = lift_config_parse(doc, strlen(doc), &err);
    cr_assert(cfg, "%s", err.msg);
    return cfg;
}

/* Assigns and renders the answer, for compact assertions. */
static const char *answer(const lift_config *cfg, const char *unit, const lift_attr *attrs,
                          size_t nattrs, bool consent, int64_t now)
{
    static lift_buf b;
    lift_assignment out[16];
    size_t n;
    lift_err err;
    lift_request req = {unit, strlen(unit), attrs, nattrs, now, consent, -1};
    cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK, "%s", err.msg);
    lift_buf_reset(&b);
    lift_assign_render(&b, cfg, unit, strlen(unit), out, n);
    return b.data;
}

Test(assign_eval, layer_ranges_are_mutually_exclusive)
{
    lift_config *cfg = config("{\"experiments\":["
                              "{\"key\":\"a\",\"variants\":[{\"key\":\"c\"},{\"key\":\"t\"}],"
                              " \"layer\":{\"name\":\"homepage\",\"range\":[0,0.5]}},"
                              "{\"key\":\"b\",\"variants\":[{\"key\":\"c\"},{\"key\":\"t\"}],"
                              " \"layer\":{\"name\":\"homepage\",\"range\":[0.5,1]}}]}");
    long in_a = 0, in_b = 0;
    for (long i = 0; i < 20000; i++) {
        char id[64];
        make_id(id, sizeof id, i);
        lift_request req = {id, strlen(id), NULL, 0, 0, true, -1};
        lift_assignment out[2];
        size_t n;
        lift_err err;
        cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK);
        cr_assert_eq(n, 1, "%s is in %zu experiments of one layer", id, n);
        if (out[0].experiment == 0)
            in_a++;
        else
            in_b++;
    }
    /* Each owns half the layer: 10000 expected, 5 standard deviations is +-354. */
    cr_assert(labs(in_a - 10000) < 354, "a got %ld of 20000", in_a);
    lift_config_free(cfg);
}

Test(assign_eval, audience_conditions_all_must_hold)
{
    lift_config *cfg = config(
        "{\"experiments\":[{\"key\":\"x\",\"coverage\":1,\"variants\":[{\"key\":\"only\","
        "\"weight\":1},{\"key\":\"never\",\"weight\":0}],\"status\":\"draft\"},"
        "{\"key\":\"m\",\"variants\":[{\"key\":\"a\",\"weight\":1},{\"key\":\"b\",\"weight\":0}],"
        " \"audience\":[{\"attr\":\"device\",\"op\":\"in\",\"value\":[\"mobile\",\"tablet\"]},"
        "  {\"attr\":\"orders\",\"op\":\"gte\",\"value\":2},"
        "  {\"attr\":\"country\",\"op\":\"ne\",\"value\":\"FR\"},"
        "  {\"attr\":\"vip\",\"op\":\"eq\",\"value\":true},"
        "  {\"attr\":\"banned\",\"op\":\"exists\",\"value\":false}]}]}");
    lift_attr ok[] = {{"device", 6, "tablet", 6}, {"orders", 6, "2", 1}, {"vip", 3, "1", 1}};
    cr_assert_str_eq(answer(cfg, "u", ok, 3, true, 0),
                     "{\"unit\":\"u\",\"assignments\":[{\"experiment\":\"m\",\"variant\":\"a\","
                     "\"variant_index\":0,\"payload\":{}}]}");
    const char *none = "{\"unit\":\"u\",\"assignments\":[]}";
    lift_attr few_orders[] = {
        {"device", 6, "tablet", 6}, {"orders", 6, "1.5", 3}, {"vip", 3, "true", 4}};
    cr_assert_str_eq(answer(cfg, "u", few_orders, 3, true, 0), none);
    lift_attr not_number[] = {
        {"device", 6, "tablet", 6}, {"orders", 6, "two", 3}, {"vip", 3, "1", 1}};
    cr_assert_str_eq(answer(cfg, "u", not_number, 3, true, 0), none);
    lift_attr desktop[] = {{"device", 6, "desktop", 7}, {"orders", 6, "9", 1}, {"vip", 3, "1", 1}};
    cr_assert_str_eq(answer(cfg, "u", desktop, 3, true, 0), none);
    lift_attr french[] = {{"device", 6, "mobile", 6},
                          {"orders", 6, "9", 1},
                          {"vip", 3, "1", 1},
                          {"country", 7, "FR", 2}};
    cr_assert_str_eq(answer(cfg, "u", french, 4, true, 0), none);
    lift_attr banned[] = {{"device", 6, "mobile", 6},
                          {"orders", 6, "9", 1},
                          {"vip", 3, "1", 1},
                          {"banned", 6, "", 0}};
    cr_assert_str_eq(answer(cfg, "u", banned, 4, true, 0), none);
    lift_attr not_vip[] = {{"device", 6, "mobile", 6}, {"orders", 6, "9", 1}, {"vip", 3, "0", 1}};
    cr_assert_str_eq(answer(cfg, "u", not_vip, 3, true, 0), none);
    lift_config_free(cfg);
}

Test(assign_eval, overrides_win_and_are_marked)
{
    lift_config *cfg =
        config("{\"experiments\":[{\"key\":\"x\",\"coverage\":0,\"variants\":[{\"key\":\"c\"},"
               "{\"key\":\"t\",\"payload\":{\"n\":1}}],\"overrides\":[{\"unit\":\"qa-2\","
               "\"variant\":\"c\"},"
               "{\"unit\":\"qa-1\",\"variant\":\"t\"}]}]}");
    cr_assert_str_eq(answer(cfg, "qa-1", NULL, 0, true, 0),
                     "{\"unit\":\"qa-1\",\"assignments\":[{\"experiment\":\"x\",\"variant\":\"t\","
                     "\"variant_index\":1,\"payload\":{\"n\":1},\"override\":true}]}");
    cr_assert_str_eq(answer(cfg, "qa-3", NULL, 0, true, 0),
                     "{\"unit\":\"qa-3\",\"assignments\":[]}");
    lift_config_free(cfg);
}

Test(assign_eval, holdout_shoppers_get_no_other_experiment)
{
    /* 30% holdout; shoppers in it see only the holdout experiment's control. */
    lift_config *cfg = config(
        "{\"experiments\":[{\"key\":\"recs\",\"variants\":[{\"key\":\"c\"},{\"key\":\"t\"}]},"
        "{\"key\":\"global_holdout\",\"kind\":\"holdout\",\"variants\":["
        " {\"key\":\"holdout\",\"weight\":0.3},{\"key\":\"personalized\",\"weight\":0.7}],"
        " \"layer\":{\"name\":\"holdout\",\"range\":[0,1]}}]}");
    long held = 0;
    for (long i = 0; i < 10000; i++) {
        char id[64];
        make_id(id, sizeof id, i);
        lift_request req = {id, strlen(id), NULL, 0, 0, true, -1};
        lift_assignment out[2];
        size_t n;
        lift_err err;
        cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK);
        bool in_holdout = false;
        for (size_t k = 0; k < n; k++)
            in_holdout |= out[k].experiment == 1 && out[k].variant == 0;
        if (in_holdout) {
            held++;
            cr_assert_eq(n, 1, "%s is held out but got %zu assignments", id, n);
        } else {
            cr_assert_eq(n, 2, "%s is not held out and must get both", id);
        }
    }
    /* 3000 expected; sd = sqrt(10000 * .3 * .7) = 45.8, allow 5 sd. */
    cr_assert(labs(held - 3000) < 230, "held out %ld of 10000", held);
    lift_config_free(cfg);
}

Test(assign_eval, qa_overrides_win_over_the_holdout)
{
    /* Everyone is held out (holdout weight 1); the QA unit still gets its override. */
    lift_config *cfg =
        config("{\"experiments\":[{\"key\":\"recs\",\"variants\":[{\"key\":\"c\"},{\"key\":\"t\"}],"
               " \"overrides\":[{\"unit\":\"qa\",\"variant\":\"t\"}]},"
               "{\"key\":\"hold\",\"kind\":\"holdout\",\"variants\":["
               " {\"key\":\"holdout\",\"weight\":1},{\"key\":\"rest\",\"weight\":0}]}]}");
    cr_assert_str_eq(
        answer(cfg, "qa", NULL, 0, true, 0),
        "{\"unit\":\"qa\",\"assignments\":[{\"experiment\":\"recs\",\"variant\":\"t\","
        "\"variant_index\":1,\"payload\":{},\"override\":true},{\"experiment\":\"hold\","
        "\"variant\":\"holdout\",\"variant_index\":0,\"payload\":{}}]}");
    cr_assert_str_eq(answer(cfg, "shopper", NULL, 0, true, 0),
                     "{\"unit\":\"shopper\",\"assignments\":[{\"experiment\":\"hold\","
                     "\"variant\":\"holdout\",\"variant_index\":0,\"payload\":{}}]}");
    lift_config_free(cfg);
}

Test(assign_eval, no_consent_gets_control_unlogged)
{
    lift_config *cfg = config(
        "{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"c\",\"payload\":\"generic\"},"
        "{\"key\":\"t\",\"control\":true}]}]}");
    cr_assert_str_eq(
        answer(cfg, "anyone", NULL, 0, false, 0),
        "{\"unit\":\"anyone\",\"assignments\":[{\"experiment\":\"x\",\"variant\":\"t\","
        "\"variant_index\":1,\"payload\":{},\"in_experiment\":false}]}");
    lift_config_free(cfg);
}

Test(assign_eval, respects_status_and_time_window)
{
    lift_config *cfg = config(
        "{\"experiments\":[{\"key\":\"x\",\"start\":\"2026-01-01T00:00:00Z\","
        "\"end\":\"2026-02-01T00:00:00Z\",\"variants\":[{\"key\":\"c\",\"weight\":1},"
        "{\"key\":\"t\",\"weight\":0}]},"
        "{\"key\":\"s\",\"status\":\"stopped\",\"variants\":[{\"key\":\"c\"},{\"key\":\"t\"}]}]}");
    int64_t before, during, after;
    lift_time_parse("2025-12-31T23:59:59Z", 20, &before);
    lift_time_parse("2026-01-15T00:00:00Z", 20, &during);
    lift_time_parse("2026-02-01T00:00:00Z", 20, &after);
    const char *none = "{\"unit\":\"u\",\"assignments\":[]}";
    cr_assert_str_eq(answer(cfg, "u", NULL, 0, true, before), none);
    cr_assert_str_neq(answer(cfg, "u", NULL, 0, true, during), none);
    cr_assert_str_eq(answer(cfg, "u", NULL, 0, true, after), none, "end is exclusive");
    lift_config_free(cfg);
}

Test(assign_eval, refuses_bad_unit_ids)
{
    lift_config *cfg = config("{\"experiments\":[]}");
    char long_id[130];
    memset(long_id, 'x', 129);
    long_id[129] = '\0';
    static const struct {
        const char *unit;
        const char *msg;
    } cases[] = {{"", "unit is empty"},
                 {"\xc3", "unit is not valid UTF-8"},
                 {"ok\xed\xa0\x80", "unit is not valid UTF-8"}};
    lift_assignment out[1];
    size_t n;
    lift_err err;
    for (size_t i = 0; i < 3; i++) {
        lift_request req = {cases[i].unit, strlen(cases[i].unit), NULL, 0, 0, true, -1};
        cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_EINVAL);
        cr_assert_str_eq(err.msg, cases[i].msg);
        cr_assert_str_eq(err.field, "unit");
    }
    lift_request req = {long_id, 129, NULL, 0, 0, true, -1};
    cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.msg, "unit is longer than 128 bytes");
    req.unit_len = 128; /* exactly 128 bytes is fine */
    cr_assert_eq(lift_assign_eval(cfg, &req, out, &n, &err), LIFT_OK);
    lift_config_free(cfg);
}
