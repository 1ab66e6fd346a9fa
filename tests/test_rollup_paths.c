/* Rollups against raw data and an independent reference (issue 15's "done when").
 *
 * A seeded store: thousands of shoppers of one experiment phase, some of them mixed, some
 * immature, some with exposures of another phase; events of several types exactly on
 * window and pre-period edges and around them, refunds, values in the store's currency,
 * in one with fx rates (some days missing) and in one without any, events after the
 * report's as-of. The rows arrive shuffled, in chunks, with refreshes between them, and
 * some shoppers' exposures through liftd's spool (the database away, then back). The
 * report's sufficient statistics are then computed three ways and must agree to 1e-9
 * relative on every field: from the rollup (plus the shoppers it cannot answer for), from
 * raw data, and here, in C, from the raw rows read back, following docs/statistics.md. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/refresh.h"
#include "lift/sqlfiles.h"
#include "lift/text.h"
#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

#define DAY       86400000000LL /* microseconds */
#define NSHOPPERS 2400
#define NSPOOLED  120

static lift_db *db;
static char conninfo[512];

/* --- the seeded generator ------------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

static long below(long n)
{
    return (long)(uniform() * (double)n);
}

/* --- the metrics, as the test defines them (and the reference reads them) ----------- */

enum { PROP, MEAN, RATIO };
typedef struct metric {
    const char *key;
    int kind;
    const char *types; /* SQL array literal */
    unsigned mask;     /* the same, as bits of T_* */
    int sum;           /* aggregation: sum of values (1) or count (0) */
    double threshold;
    unsigned den_mask; /* ratio: the denominator counts these */
    int64_t window, pre;
    double winsor; /* 0: none */
} metric;

enum { T_ORDER = 1, T_REFUND = 2, T_VIEW = 4, T_OTHER = 8 };
static const char *const TYPE_NAME[] = {"order", "refund", "page_view", "wishlist"};

static metric metrics[] = {
    {"t_conv", PROP, "{order}", T_ORDER, 0, 1, 0, 7 * DAY, 0, 0},
    {"t_rev", MEAN, "{order,refund}", T_ORDER | T_REFUND, 1, 0, 0, 14 * DAY, 14 * DAY, 0.9},
    {"t_aov", RATIO, "{order,refund}", T_ORDER | T_REFUND, 1, 0, T_ORDER, 14 * DAY, 0, 0},
    {"t_views", MEAN, "{page_view}", T_VIEW, 0, 0, 0, 3 * DAY, 3 * DAY, 0},
    {"t_ltv", MEAN, "{order,refund}", T_ORDER | T_REFUND, 1, 0, 0, 30 * DAY, 7 * DAY, 0.99},
    {"t_big", PROP, "{order,refund}", T_ORDER | T_REFUND, 1, 100, 0, 14 * DAY, 0, 0},
};
#define NMETRICS (sizeof metrics / sizeof *metrics)
static const char METRIC_KEYS[] = "{t_conv,t_rev,t_aov,t_views,t_ltv,t_big}";

/* --- rows to deliver ------------------------------------------------------------------ */

typedef struct rows {
    char **v;
    size_t n, cap;
} rows;

static rows exposures, events;

static void add(rows *r, char *row)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        cr_assert(r->v);
    }
    r->v[r->n++] = row;
}

static char *ts_sql(int64_t us)
{
    char *s = malloc(64);
    snprintf(s, 64, "'epoch'::timestamptz + interval '%lld microseconds'", (long long)us);
    return s;
}

static void exposure(const char *unit, const char *variant, int phase, int64_t ts,
                     const char *device)
{
    static long id;
    char *t = ts_sql(ts), *row = malloc(512);
    char attrs[64] = "NULL";
    if (device)
        snprintf(attrs, sizeof attrs, "'{\"device\": \"%s\"}'", device);
    snprintf(row, 512, "('x%ld', '%s', 'recs', '%s', %d, %s, %s)", ++id, unit, variant, phase, t,
             attrs);
    free(t);
    add(&exposures, row);
}

static void event(const char *unit, int type, int64_t ts)
{
    static long id;
    static const char *const CUR[] = {"'EUR'", "NULL", "'USD'", "'CHF'"};
    char value[32] = "NULL";
    const char *cur = "NULL";
    if (type == T_ORDER || type == T_REFUND) {
        double v = (double)(500 + below(29500)) / 100;
        snprintf(value, sizeof value, "%.2f", type == T_REFUND ? -v / 3 : v);
        double c = uniform();
        cur = CUR[c < 0.55 ? 0 : c < 0.7 ? 1 : c < 0.9 ? 2 : 3];
    }
    char *t = ts_sql(ts), *row = malloc(512);
    snprintf(row, 512, "('e%ld', '%s', '%s', %s, %s, %s)", ++id, unit,
             TYPE_NAME[type == T_ORDER    ? 0
                       : type == T_REFUND ? 1
                       : type == T_VIEW   ? 2
                                          : 3],
             value, cur, t);
    free(t);
    add(&events, row);
}

static int pick_type(void)
{
    double u = uniform();
    return u < 0.4 ? T_ORDER : u < 0.5 ? T_REFUND : u < 0.85 ? T_VIEW : T_OTHER;
}

/* The store: shoppers first exposed in [base, base + 48 days), as_of about base + 50. */
static void generate(int64_t base, int64_t last_exposure)
{
    static const char *const VARIANT[] = {"control", "personalized"};
    for (int i = 0; i < NSHOPPERS; i++) {
        char unit[32];
        snprintf(unit, sizeof unit, "s%04d", i);
        int v = (int)below(2);
        int64_t t0 = base + (int64_t)(uniform() * 48 * (double)DAY);
        double d = uniform();
        const char *device = d < 0.1 ? NULL : d < 0.6 ? "mobile" : "desktop";
        exposure(unit, VARIANT[v], 1, t0, device);
        /* later exposures, with other attributes; some of another variant (mixed) */
        for (long k = below(4); k > 0; k--) {
            int64_t later = t0 + 1 + (int64_t)(uniform() * (double)(last_exposure - t0 - 1));
            exposure(unit, VARIANT[uniform() < 0.02 ? 1 - v : v], 1, later,
                     uniform() < 0.5 ? "tablet" : NULL);
        }
        if (uniform() < 0.05) /* another phase: not this report's */
            exposure(unit, VARIANT[1 - v], 2, t0 + DAY, "mobile");
        /* events: on the edges of windows and pre-periods, and anywhere around them */
        for (long k = below(13); k > 0; k--) {
            const metric *m = &metrics[below((long)NMETRICS)];
            int64_t off;
            switch (below(8)) {
            case 0:
                off = 0;
                break;
            case 1:
                off = m->window;
                break;
            case 2:
                off = m->window - 1;
                break;
            case 3:
                off = -(m->pre ? m->pre : DAY);
                break;
            case 4:
                off = -1;
                break;
            default:
                off = (int64_t)((uniform() * 60 - 20) * (double)DAY);
            }
            event(unit, pick_type(), t0 + off);
        }
    }
    for (int i = 0; i < 200; i++) { /* shoppers of no experiment */
        char unit[32];
        snprintf(unit, sizeof unit, "stranger%d", i);
        event(unit, T_ORDER, base + (int64_t)(uniform() * 40 * (double)DAY));
    }
}

static void shuffle(rows *r)
{
    for (size_t i = r->n; i > 1; i--) {
        size_t j = (size_t)below((long)i);
        char *t = r->v[i - 1];
        r->v[i - 1] = r->v[j];
        r->v[j] = t;
    }
}

/* Inserts rows [from, to) of r, a few hundred per statement. */
static void deliver(const rows *r, size_t from, size_t to)
{
    const char *head = r == &exposures
                           ? "INSERT INTO lift.exposures (event_id, unit, experiment, variant, "
                             "phase, ts, attrs) VALUES "
                           : "INSERT INTO lift.events (event_id, unit, type, value, currency, "
                             "ts) VALUES ";
    lift_buf sql;
    lift_buf_init(&sql);
    for (size_t i = from; i < to; i++) {
        if (sql.len == 0)
            lift_buf_puts(&sql, head);
        else
            lift_buf_puts(&sql, ", ");
        lift_buf_puts(&sql, r->v[i]);
        if ((i - from) % 400 == 399 || i + 1 == to) {
            pgtest_ok(db, sql.data);
            lift_buf_reset(&sql);
        }
    }
    lift_buf_fini(&sql);
}

static void deliver_chunk(int k, int of)
{
    deliver(&exposures, exposures.n * (size_t)k / (size_t)of,
            exposures.n * (size_t)(k + 1) / (size_t)of);
    deliver(&events, events.n * (size_t)k / (size_t)of, events.n * (size_t)(k + 1) / (size_t)of);
}

/* --- the reference, from the raw rows ------------------------------------------------ */

typedef struct cell {
    double units, n, imm, s, ss, ds, dss, sxd, zs, zss, sxz;
} cell;

typedef struct shopper {
    char unit[40];
    int64_t t0;
    char first_id[40];
    int variant; /* 0 control, 1 personalized */
    int seg;     /* 0 (none), 1 desktop, 2 mobile, 3 tablet */
    int mixed;
    double x[NMETRICS], d[NMETRICS], z[NMETRICS];
    int mature[NMETRICS];
} shopper;

static const char *const SEGMENT[] = {"(none)", "desktop", "mobile", "tablet"};

typedef struct reference {
    cell all[NMETRICS][2], seg[NMETRICS][4][2];
    double cap[NMETRICS];
    long mixed, excluded;
    long future; /* shoppers with an event read at or after the as-of */
} reference;

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* percentile_cont: linear interpolation between the closest ranks. */
static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, by_double);
    double pos = p * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

static int64_t num(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

typedef struct ev {
    char unit[40];
    unsigned type;
    int has_value;
    double value;
    char currency[4];
    int64_t ts;
} ev;

static int ev_by_unit(const void *a, const void *b)
{
    return strcmp(((const ev *)a)->unit, ((const ev *)b)->unit);
}

#define MAX_DAYS 400
static double usd[MAX_DAYS]; /* EUR per USD by day since FX_DAY0; 0: no rate */
static int64_t fx_day0;

/* The factor into EUR, or 0 without a rate. */
static double factor(const ev *e)
{
    if (!*e->currency || !strcmp(e->currency, "EUR"))
        return 1;
    if (strcmp(e->currency, "USD"))
        return 0;
    int64_t day = (e->ts >= 0 ? e->ts / DAY : (e->ts - DAY + 1) / DAY) - fx_day0;
    return day >= 0 && day < MAX_DAYS ? usd[day] : 0;
}

static unsigned type_bit(const char *t)
{
    for (unsigned i = 0; i < 4; i++)
        if (!strcmp(t, TYPE_NAME[i]))
            return 1u << i;
    return 0;
}

static void add_to(cell *c, const shopper *s, size_t m)
{
    if (!s->mature[m]) {
        c->imm++;
        return;
    }
    if (metrics[m].kind == RATIO && !(s->d[m] > 0))
        return;
    double v = s->x[m];
    c->n++;
    c->s += v;
    c->ss += v * v;
    c->ds += s->d[m];
    c->dss += s->d[m] * s->d[m];
    c->sxd += v * s->d[m];
    c->zs += s->z[m];
    c->zss += s->z[m] * s->z[m];
    c->sxz += v * s->z[m];
}

typedef struct xr {
    const char *unit, *id, *variant, *device;
    int64_t ts;
} xr;

static int xr_cmp(const void *a, const void *b)
{
    const xr *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    if (c)
        return c;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* An aggregate of the shopper's events of mask over [from, to): a sum of values in EUR or
 * a count; events with a value in a currency without a rate count for nothing. */
static double aggregate(const ev *e, size_t n, unsigned mask, int sum, int64_t from, int64_t to)
{
    double a = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(e[i].type & mask) || e[i].ts < from || e[i].ts >= to)
            continue;
        double f = factor(&e[i]);
        if (e[i].has_value && f == 0)
            continue;
        if (!sum)
            a += 1;
        else if (e[i].has_value)
            a += e[i].value * f;
    }
    return a;
}

static void compute_reference(int64_t as_of, reference *ref)
{
    memset(ref, 0, sizeof *ref);
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)as_of);
    const char *p[] = {at};
    lift_err err;
    PGresult *x =
        lift_db_exec(db,
                     "SELECT unit, event_id, variant, attrs ->> 'device',"
                     " (extract(epoch FROM ts) * 1000000)::bigint"
                     " FROM lift.exposures WHERE experiment = 'recs' AND phase = 1"
                     " AND ts < 'epoch'::timestamptz + $1::bigint * interval '1 microsecond'",
                     1, p, NULL, &err);
    cr_assert(x, "%s", err.msg);
    PGresult *y = lift_db_exec(db,
                               "SELECT unit, type, value, coalesce(currency, ''),"
                               " (extract(epoch FROM ts) * 1000000)::bigint FROM lift.events",
                               0, NULL, NULL, &err);
    cr_assert(y, "%s", err.msg);
    size_t nx = (size_t)PQntuples(x), ny = (size_t)PQntuples(y), ns = 0;
    xr *xs = calloc(nx + 1, sizeof *xs);
    for (int i = 0; i < (int)nx; i++)
        xs[i] = (xr){PQgetvalue(x, i, 0), PQgetvalue(x, i, 1), PQgetvalue(x, i, 2),
                     PQgetisnull(x, i, 3) ? NULL : PQgetvalue(x, i, 3), num(x, i, 4)};
    qsort(xs, nx, sizeof *xs, xr_cmp);
    ev *es = calloc(ny + 1, sizeof *es);
    for (int i = 0; i < (int)ny; i++) {
        ev *e = &es[i];
        snprintf(e->unit, sizeof e->unit, "%s", PQgetvalue(y, i, 0));
        e->type = type_bit(PQgetvalue(y, i, 1));
        e->has_value = !PQgetisnull(y, i, 2);
        e->value = e->has_value ? strtod(PQgetvalue(y, i, 2), NULL) : 0;
        snprintf(e->currency, sizeof e->currency, "%s", PQgetvalue(y, i, 3));
        e->ts = num(y, i, 4);
    }
    qsort(es, ny, sizeof *es, ev_by_unit);

    shopper *sh = calloc(nx + 1, sizeof *sh);
    for (size_t i = 0; i < nx; i++) {
        if (ns && !strcmp(sh[ns - 1].unit, xs[i].unit)) {
            sh[ns - 1].mixed |=
                strcmp(xs[i].variant, sh[ns - 1].variant ? "personalized" : "control") != 0;
            continue;
        }
        shopper *s = &sh[ns++];
        snprintf(s->unit, sizeof s->unit, "%s", xs[i].unit);
        s->t0 = xs[i].ts;
        s->variant = !strcmp(xs[i].variant, "personalized");
        s->seg = !xs[i].device                      ? 0
                 : !strcmp(xs[i].device, "desktop") ? 1
                 : !strcmp(xs[i].device, "mobile")  ? 2
                                                    : 3;
    }
    int64_t max_window = 0, max_pre = 0;
    unsigned all_types = 0;
    for (size_t m = 0; m < NMETRICS; m++) {
        max_window = metrics[m].window > max_window ? metrics[m].window : max_window;
        max_pre = metrics[m].pre > max_pre ? metrics[m].pre : max_pre;
        all_types |= metrics[m].mask | metrics[m].den_mask;
    }
    for (size_t i = 0; i < ns; i++) {
        shopper *s = &sh[i];
        if (s->mixed) {
            ref->mixed++;
            continue;
        }
        /* the shopper's events: a run of es */
        size_t lo = 0, hi = ny;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(es[mid].unit, s->unit) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t n = 0;
        while (lo + n < ny && !strcmp(es[lo + n].unit, s->unit))
            n++;
        const ev *e = es + lo;
        int future = 0;
        for (size_t k = 0; k < n; k++) {
            future |= (e[k].type & all_types) && e[k].ts >= as_of && e[k].ts >= s->t0 - max_pre &&
                      e[k].ts < s->t0 + max_window;
            int64_t end = s->t0 + max_window < as_of ? s->t0 + max_window : as_of;
            if ((e[k].type & all_types) && e[k].has_value && factor(&e[k]) == 0 &&
                e[k].ts >= s->t0 - max_pre && e[k].ts < end)
                ref->excluded++;
        }
        ref->future += future;
        for (size_t m = 0; m < NMETRICS; m++) {
            const metric *mt = &metrics[m];
            int64_t end = s->t0 + mt->window < as_of ? s->t0 + mt->window : as_of;
            double a = aggregate(e, n, mt->mask, mt->sum, s->t0, end);
            s->x[m] = mt->kind == PROP ? (a >= mt->threshold) : a;
            s->d[m] = mt->kind == RATIO ? aggregate(e, n, mt->den_mask, 0, s->t0, end) : 0;
            double z = mt->pre ? aggregate(e, n, mt->mask, mt->sum, s->t0 - mt->pre, s->t0) : 0;
            s->z[m] = mt->kind == PROP ? (z >= mt->threshold) : z;
            s->mature[m] = s->t0 <= as_of - mt->window;
        }
    }
    /* Winsorization: the cap is the percentile of the pooled mature values. */
    double *pool = calloc(ns + 1, sizeof *pool);
    for (size_t m = 0; m < NMETRICS; m++) {
        ref->cap[m] = (double)NAN;
        if (metrics[m].winsor == 0)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < ns; i++)
            if (!sh[i].mixed && sh[i].mature[m])
                pool[k++] = sh[i].x[m];
        cr_assert_gt(k, 10);
        ref->cap[m] = percentile(pool, k, metrics[m].winsor);
        for (size_t i = 0; i < ns; i++)
            if (sh[i].x[m] > ref->cap[m])
                sh[i].x[m] = ref->cap[m];
    }
    for (size_t i = 0; i < ns; i++) {
        const shopper *s = &sh[i];
        if (s->mixed)
            continue;
        for (size_t m = 0; m < NMETRICS; m++) {
            ref->all[m][s->variant].units++;
            ref->seg[m][s->seg][s->variant].units++;
            add_to(&ref->all[m][s->variant], s, m);
            add_to(&ref->seg[m][s->seg][s->variant], s, m);
        }
    }
    free(pool);
    free(sh);
    free(es);
    free(xs);
    PQclear(x);
    PQclear(y);
}

/* --- the comparison ----------------------------------------------------------------- */

static void close_to(double got, double want, const char *what, const char *where)
{
    cr_assert(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)),
              "%s: %s is %.17g, the reference %.17g", where, what, got, want);
}

/* Runs the report's statistics from `source` (NULL: the report's own choice) and checks
 * every 'all' and 'segment' row against ref; returns the data path it took and, in
 * *recomputed, how many shoppers it computed from raw data. */
static const char *check(const char *source, int64_t as_of, const reference *ref, long *recomputed)
{
    static char path[32];
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)as_of);
    const char *p[] = {at, METRIC_KEYS, source};
    lift_err err;
    PGresult *r =
        lift_db_exec(db,
                     "SELECT * FROM pg_temp.lift_metric_stats('recs', 1, 'epoch'::timestamptz"
                     " + $1::bigint * interval '1 microsecond', $2::text[], '{device}',"
                     " 'EUR', 'EUR', NULL, NULL, $3)",
                     3, p, NULL, &err);
    cr_assert(r, "%s", err.msg);
    int checked = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *level = lift_db_text(r, i, "level");
        if (!strcmp(level, "day"))
            continue;
        size_t m = 0;
        while (m < NMETRICS && strcmp(metrics[m].key, lift_db_text(r, i, "metric")))
            m++;
        cr_assert_lt(m, NMETRICS);
        int v = !strcmp(lift_db_text(r, i, "variant"), "personalized");
        const cell *c = &ref->all[m][v];
        if (!strcmp(level, "segment")) {
            int seg = 0;
            while (seg < 4 && strcmp(SEGMENT[seg], lift_db_text(r, i, "segment_value")))
                seg++;
            cr_assert_lt(seg, 4, "segment %s", lift_db_text(r, i, "segment_value"));
            c = &ref->seg[m][seg][v];
        }
        char where[160];
        snprintf(where, sizeof where, "%s %s %s %s %s", source ? source : "(chosen)", level,
                 lift_db_text(r, i, "segment_value"), metrics[m].key,
                 v ? "personalized" : "control");
        close_to(lift_db_num(r, i, "units"), c->units, "units", where);
        close_to(lift_db_num(r, i, "n"), c->n, "n", where);
        close_to(lift_db_num(r, i, "immature"), c->imm, "immature", where);
        close_to(lift_db_num(r, i, "sum"), c->s, "sum", where);
        close_to(lift_db_num(r, i, "sum_sq"), c->ss, "sum_sq", where);
        if (metrics[m].kind == RATIO) {
            close_to(lift_db_num(r, i, "den_sum"), c->ds, "den_sum", where);
            close_to(lift_db_num(r, i, "den_sum_sq"), c->dss, "den_sum_sq", where);
            close_to(lift_db_num(r, i, "sum_x_den"), c->sxd, "sum_x_den", where);
        }
        if (metrics[m].pre) {
            close_to(lift_db_num(r, i, "pre_sum"), c->zs, "pre_sum", where);
            close_to(lift_db_num(r, i, "pre_sum_sq"), c->zss, "pre_sum_sq", where);
            close_to(lift_db_num(r, i, "sum_x_pre"), c->sxz, "sum_x_pre", where);
        }
        if (metrics[m].winsor)
            close_to(lift_db_num(r, i, "cap"), ref->cap[m], "cap", where);
        else
            cr_assert(lift_db_null(r, i, "cap"), "%s: a cap without winsorization", where);
        close_to(lift_db_num(r, i, "mixed"), (double)ref->mixed, "mixed", where);
        close_to(lift_db_num(r, i, "excluded"), (double)ref->excluded, "excluded", where);
        checked++;
    }
    /* every metric and variant, overall and in each segment value some shopper has */
    int want = (int)NMETRICS * 2;
    for (size_t m = 0; m < NMETRICS; m++)
        for (int seg = 0; seg < 4; seg++)
            for (int v = 0; v < 2; v++)
                want += ref->seg[m][seg][v].units > 0;
    cr_assert_eq(checked, want, "%d rows checked, %d expected", checked, want);
    snprintf(path, sizeof path, "%s", PQntuples(r) ? lift_db_text(r, 0, "data_path") : "");
    *recomputed = PQntuples(r) ? (long)lift_db_num(r, 0, "recomputed") : -1;
    PQclear(r);
    return path;
}

static int64_t db_now(int64_t plus)
{
    return strtoll(pgtest_value(db, "SELECT (extract(epoch FROM now()) * 1000000)::bigint"), NULL,
                   10) +
           plus;
}

static void refresh(const char *want_mode)
{
    lift_refresh_result res;
    lift_err err;
    cr_assert_eq(lift_refresh(db, "recs", false, &res, &err), LIFT_OK, "%s", err.msg);
    cr_assert_str_eq(res.mode, want_mode);
    cr_log_info("refresh: %s, %lld of %lld shoppers in %.3f s", res.mode, res.computed, res.units,
                (double)res.micros / 1e6);
}

/* Both paths and the reference, at an as-of just after everything delivered. Returns how
 * many shoppers the rollup path computed from raw data for being newer than the rollup
 * (besides those with an event after the as-of, which it always computes). */
static long compare_all(const char *want_path)
{
    int64_t as_of = db_now(60 * 1000000LL);
    reference ref;
    compute_reference(as_of, &ref);
    long raw_n, rolled_n;
    cr_assert_str_eq(check("assignments", as_of, &ref, &raw_n), "assignments");
    cr_assert_str_eq(check(NULL, as_of, &ref, &rolled_n), want_path);
    cr_assert_gt(ref.mixed, 0);
    cr_assert_gt(ref.excluded, 0);
    cr_assert_gt(ref.future, 0);
    if (strcmp(want_path, "rollup"))
        return -1;
    cr_assert_geq(rolled_n, ref.future);
    return rolled_n - ref.future;
}

/* Exposures of NSPOOLED shoppers through liftd's spool: assigned while the database is
 * away, replayed when it is back. */
static void through_the_spool(void)
{
    liftd_proc d = {0};
    liftd_start(&d, conninfo, NULL, NULL); /* the config reaches liftd's cache */
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    const char *away[] = {"--db", "host=/nonexistent port=1 dbname=lift", NULL};
    liftd_start(&d, conninfo, away, NULL);
    lift_httpc_response r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < NSPOOLED; i++) {
        char target[64];
        snprintf(target, sizeof target, "/v1/assign?unit=sp%03d", i);
        cr_assert_eq(liftd_get(&d, target, &r), 200, "%s", r.body.data);
    }
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    liftd_start(&d, conninfo, NULL, NULL);
    for (int tries = 0; tries < 300; tries++) {
        if (atol(pgtest_value(db, "SELECT count(*) FROM lift.assignments WHERE unit LIKE 'sp%'")) ==
            NSPOOLED)
            break;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    cr_assert_eq(atol(pgtest_value(db, "SELECT count(*) FROM lift.assignments WHERE unit LIKE "
                                       "'sp%' AND experiment = 'recs'")),
                 NSPOOLED, "the spool was replayed");
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    lift_buf_fini(&r.body);
    /* their orders: seconds after, some before the as-of, in all currencies */
    for (int i = 0; i < NSPOOLED; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "sp%03d", i);
        event(unit, T_ORDER, db_now((int64_t)below(120) * 1000000));
    }
}

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    lift_buf sql;
    lift_buf_init(&sql);
    lift_buf_puts(&sql, "BEGIN;");
    for (size_t m = 0; m < NMETRICS; m++) {
        const metric *x = &metrics[m];
        char one[1024];
        snprintf(one, sizeof one,
                 "INSERT INTO lift.metrics (key, name, kind, event_types, aggregation, threshold,"
                 " den_event_types, den_aggregation, window_length, winsor_pct, cuped_pre)"
                 " VALUES ('%s', '%s', '%s', '%s', '%s', %s, %s, %s, '%lld microseconds', %s, %s);",
                 x->key, x->key,
                 x->kind == PROP   ? "proportion"
                 : x->kind == MEAN ? "mean"
                                   : "ratio",
                 x->types, x->sum ? "sum" : "count",
                 x->kind == PROP ? (x->threshold == 1 ? "1" : "100") : "NULL",
                 x->kind == RATIO ? "'{order}'" : "NULL", x->kind == RATIO ? "'count'" : "NULL",
                 (long long)x->window,
                 x->winsor == 0     ? "NULL"
                 : x->winsor == 0.9 ? "0.9"
                                    : "0.99",
                 x->pre ? (x->pre == 7 * DAY    ? "'7 days'"
                           : x->pre == 14 * DAY ? "'14 days'"
                                                : "'3 days'")
                        : "NULL");
        lift_buf_puts(&sql, one);
    }
    lift_buf_puts(&sql, "UPDATE lift.experiments SET primary_metric = 't_conv', metrics = "
                        "'{t_conv,t_rev,t_aov,t_views,t_ltv,t_big}' WHERE key = 'recs';"
                        "UPDATE lift.settings SET currency = 'EUR';COMMIT;");
    pgtest_ok(db, sql.data);
    lift_buf_fini(&sql);
    pgtest_ok(db, lift_sql_text("analysis/unit_aggs.sql"));
    pgtest_ok(db, lift_sql_text("analysis/metric_stats.sql"));
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(rollup_paths, .init = setup, .fini = teardown, .timeout = 600);

Test(rollup_paths, rollup_raw_and_reference_agree_whatever_the_order_of_arrival)
{
    int64_t now = db_now(0);
    int64_t base = now - 50 * DAY;
    /* fx: EUR per USD, every day but each seventh; none for CHF */
    fx_day0 = base / DAY - 40;
    lift_buf sql;
    lift_buf_init(&sql);
    lift_buf_puts(&sql, "INSERT INTO lift.fx_rates (currency, day, rate) VALUES ");
    for (int d = 0; d < MAX_DAYS; d++) {
        usd[d] = d % 7 == 3 ? 0 : 0.8 + 0.15 * sin(d / 5.0);
        if (usd[d] == 0)
            continue;
        char one[96];
        snprintf(one, sizeof one, "%s('USD', 'epoch'::date + %lld, %.17g)",
                 sql.len > 60 ? ", " : "", (long long)(fx_day0 + d), usd[d]);
        lift_buf_puts(&sql, one);
    }
    pgtest_ok(db, sql.data);
    lift_buf_fini(&sql);

    generate(base, now - DAY);
    shuffle(&exposures);
    shuffle(&events);
    size_t first = events.n;

    deliver_chunk(0, 4);
    refresh("rebuild");
    deliver_chunk(1, 4);
    refresh("incremental");
    compare_all("rollup");
    deliver_chunk(2, 4);
    through_the_spool();
    deliver(&events, first, events.n); /* the spooled shoppers' orders */
    events.n = first;
    refresh("incremental");
    deliver_chunk(3, 4); /* after the last refresh: the report computes these itself */
    long recomputed = compare_all("rollup");
    cr_assert_gt(recomputed, 100, "shoppers with newer data are computed from raw data");
    refresh("incremental");
    cr_assert_eq(compare_all("rollup"), 0, "all current: nothing computed from raw data");
    /* Caps are taken over the aggregates at report time: a new percentile keeps the rollup. */
    pgtest_ok(db, "UPDATE lift.metrics SET winsor_pct = 0.8 WHERE key = 't_rev'");
    metrics[1].winsor = 0.8;
    cr_assert_eq(compare_all("rollup"), 0);
    /* A changed window: the rollup no longer answers until it is rebuilt. */
    pgtest_ok(db, "UPDATE lift.metrics SET window_length = '4 days' WHERE key = 't_views'");
    metrics[3].window = 4 * DAY;
    compare_all("assignments");
    const char *out = cli_ok(conninfo, "refresh recs");
    cr_assert(strstr(out, "recs phase 1: rebuild, "), "%s", out);
    cr_assert_eq(compare_all("rollup"), 0);
}
