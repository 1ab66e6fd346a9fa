/* bench/assign: nanoseconds per evaluation, for one 2-variant experiment and for one
 * shopper against 50 running experiments. Targets on a 2-core machine: <= 100 ns and
 * <= 2 us. Prints a same-run baseline (FNV-1a over the id's bytes) for calibration. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "lift/assign.h"

#define UNITS 100000
#define RUNS  7

static char ids[UNITS][40];

static lift_config *make_config(int nexp)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_puts(&b, "{\"experiments\":[");
    for (int i = 0; i < nexp; i++) {
        /* One in five has an audience; three variants in every tenth; v1 in every seventh. */
        lift_buf_printf(
            &b,
            "%s{\"key\":\"exp_%d\",\"hash_version\":%d,\"coverage\":0.9,"
            "\"variants\":[{\"key\":\"control\",\"payload\":{\"recs\":\"generic\"}},"
            "{\"key\":\"personalized\",\"payload\":{\"recs\":\"ml\",\"slot\":%d}}%s]%s}",
            i ? "," : "", i, i % 7 == 6 ? 1 : 2, i, i % 10 == 9 ? ",{\"key\":\"third\"}" : "",
            i % 5 == 4 ? ",\"audience\":[{\"attr\":\"device\",\"op\":\"in\","
                         "\"value\":[\"mobile\",\"tablet\"]}]"
                       : "");
    }
    lift_buf_puts(&b, "]}");
    lift_err err;
    lift_config *cfg = lift_config_parse(b.data, b.len, &err);
    if (!cfg)
        fprintf(stderr, "bench/assign: %s\n", err.msg);
    lift_buf_fini(&b);
    return cfg;
}

static volatile size_t sink;

/* ns per evaluation of every unit against cfg, median of RUNS runs. */
static double time_eval(const lift_config *cfg)
{
    lift_attr attrs[] = {{"device", 6, "mobile", 6}, {"channel", 7, "email", 5}};
    lift_assignment out[64];
    double samples[RUNS];
    for (int r = 0; r < RUNS; r++) {
        int64_t t0 = lift_time_mono();
        for (int i = 0; i < UNITS; i++) {
            lift_request req = {ids[i], 36, attrs, 2, 0, true, -1};
            size_t n;
            lift_err err;
            lift_assign_eval(cfg, &req, out, &n, &err);
            sink += n;
        }
        samples[r] = (double)(lift_time_mono() - t0) * 1000.0 / UNITS;
    }
    return bench_median(samples, RUNS);
}

static double time_baseline(void)
{
    double samples[RUNS];
    for (int r = 0; r < RUNS; r++) {
        int64_t t0 = lift_time_mono();
        for (int i = 0; i < UNITS; i++) {
            uint32_t h = LIFT_FNV_OFFSET;
            for (const char *p = ids[i]; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
            sink += h;
        }
        samples[r] = (double)(lift_time_mono() - t0) * 1000.0 / UNITS;
    }
    return bench_median(samples, RUNS);
}

int main(void)
{
    /* UUID-shaped shopper ids (36 bytes), the common storefront cookie. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < UNITS; i++) {
        uint64_t a = (x += 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
        uint64_t b = (a ^ (a >> 31)) * 0x94D049BB133111EBULL;
        snprintf(ids[i], sizeof ids[i], "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
                 (unsigned)(a & 0xffff), (unsigned)(b & 0xfff), (unsigned)((b >> 12) & 0xfff),
                 (unsigned long long)(b >> 16) & 0xffffffffffffULL);
    }
    lift_config *one = make_config(1), *fifty = make_config(getenv("BENCH_ONLY_ONE") ? 1 : 50);
    if (!one || !fifty)
        return 1;
    double base = time_baseline();
    double t1 = time_eval(one);
    double t50 = time_eval(fifty);
    printf("assign: 1 experiment, 2 variants     %8.1f ns/eval   target <= 100 ns   %s\n", t1,
           t1 <= 100 ? "ok" : "MISSED");
    printf("assign: 50 running experiments       %8.1f ns/eval   target <= 2000 ns  %s\n", t50,
           t50 <= 2000 ? "ok" : "MISSED");
    printf("baseline: FNV-1a over the 36-byte id %8.1f ns        (same run, for calibration)\n",
           base);
    printf("(median of %d runs of %d UUID-shaped ids each; attributes device, channel)\n", RUNS,
           UNITS);
    lift_config_free(one);
    lift_config_free(fifty);
    return 0;
}
