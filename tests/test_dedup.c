/* Exposure dedup end to end: liftd's cache (--expose-cache, --expose-interval) over real
 * HTTP against a real PostgreSQL, and lift.assignments kept exact whatever the replicas
 * log: two liftd on one database, and a replica killed with SIGKILL whose spool is
 * replayed (twice). Every expectation about lift.assignments is an aggregation computed
 * here, in C, from the raw rows of lift.exposures. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];
static liftd_proc d, d2;
static lift_httpc_response r;

static void setup(void)
{
    memset(&d, 0, sizeof d);
    memset(&d2, 0, sizeof d2);
    lift_buf_init(&r.body);
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    if (d2.pid > 0)
        liftd_stop(&d2, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(db);
}

TestSuite(dedup, .init = setup, .fini = teardown, .timeout = 180);

static void nap_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

/* Waits (up to 10 s) for sql's count to reach want, then 300 ms more (batches flush in
 * 10 ms) to see that nothing else arrives; returns the count. */
static long settled(const char *sql, long want)
{
    long n = 0;
    for (int i = 0; i < 500 && (n = count(sql)) < want; i++)
        nap_ms(20);
    nap_ms(300);
    return count(sql);
}

static long metric(liftd_proc *p, const char *name)
{
    cr_assert_eq(liftd_get(p, "/metrics", &r), 200);
    const char *at = strstr(r.body.data, name);
    while (at && (at == r.body.data || at[-1] != '\n' || at[strlen(name)] != ' '))
        at = strstr(at + 1, name);
    cr_assert(at, "no metric %s", name);
    return atol(at + strlen(name) + 1);
}

static void assign(liftd_proc *p, const char *unit)
{
    char target[160];
    snprintf(target, sizeof target, "/v1/assign?unit=%s&attr.device=mobile", unit);
    cr_assert_eq(liftd_get(p, target, &r), 200, "%s: %s", target, r.body.data);
}

static long rows_of(const char *unit)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM lift.exposures WHERE unit = '%s'", unit);
    return settled(sql, 1);
}

/* --- (a) one liftd ------------------------------------------------------------------ */

Test(dedup, repeated_assigns_of_a_shopper_log_one_exposure)
{
    liftd_start(&d, conninfo, NULL, NULL);
    for (int i = 0; i < 10; i++)
        assign(&d, "shopper-1");
    for (int u = 0; u < 4; u++)
        for (int i = 0; i < 5; i++) {
            char unit[32];
            snprintf(unit, sizeof unit, "other-%d", u);
            assign(&d, unit);
        }
    cr_assert_eq(rows_of("shopper-1"), 1);
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'other-%'", 4), 4);
    cr_assert_eq(metric(&d, "lift_expose_cache_hits_total"), 9 + 4 * 4);
    cr_assert_eq(metric(&d, "lift_expose_cache_misses_total"), 5);
    cr_assert_eq(metric(&d, "lift_expose_cache_evictions_total"), 0);
    cr_assert_eq(metric(&d, "lift_expose_cache_entries"), 1048576);
    /* The assignment row has them all as one shopper, and counts what was logged. */
    char want[64];
    snprintf(want, sizeof want, "1 %s mobile",
             pgtest_value(db, "SELECT variant FROM lift.exposures WHERE unit = 'shopper-1'"));
    cr_assert_str_eq(pgtest_value(db, "SELECT exposures || ' ' || array_to_string(variants, ',') "
                                      "|| ' ' || (attrs->>'device') FROM lift.assignments "
                                      "WHERE unit = 'shopper-1'"),
                     want);
    /* expose=0 neither logs nor fills the cache. */
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=quiet&expose=0", &r), 200);
    assign(&d, "quiet");
    cr_assert_eq(rows_of("quiet"), 1);
}

Test(dedup, a_new_phase_logs_again)
{
    liftd_start(&d, conninfo, NULL, NULL);
    assign(&d, "s-phase");
    assign(&d, "s-phase");
    cr_assert_eq(rows_of("s-phase"), 1);
    /* A new seed is a new phase: the shopper is re-randomized and is a new key. */
    pgtest_ok(db, "UPDATE lift.experiments SET seed = 'reseeded' WHERE key = 'recs'");
    int i = 0;
    for (; i < 250; i++) {
        cr_assert_eq(liftd_get(&d, "/v1/experiments", &r), 200);
        if (strstr(r.body.data, "\"phase\":2"))
            break;
        nap_ms(20);
    }
    cr_assert_lt(i, 250, "liftd did not load phase 2 in 5 s");
    assign(&d, "s-phase");
    assign(&d, "s-phase");
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit = 's-phase'", 2), 2);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(phase || ':' || exposures, ' ' ORDER BY "
                                      "phase) FROM lift.assignments WHERE unit = 's-phase'"),
                     "1:1 2:1");
}

Test(dedup, the_interval_logs_a_shopper_again)
{
    const char *args[] = {"--expose-interval", "1", NULL};
    liftd_start(&d, conninfo, args, NULL);
    assign(&d, "s-int");
    assign(&d, "s-int");
    cr_assert_eq(rows_of("s-int"), 1);
    nap_ms(1200);
    assign(&d, "s-int");
    assign(&d, "s-int");
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit = 's-int'", 2), 2);
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 's-int'"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.assignments WHERE unit = 's-int' AND "
                       "last_ts - first_ts >= interval '1 second'"),
                 1, "last_ts is the second exposure's");
}

Test(dedup, a_cache_of_size_0_logs_every_assign)
{
    const char *args[] = {"--expose-cache", "0", NULL};
    liftd_start(&d, conninfo, args, NULL);
    for (int i = 0; i < 5; i++)
        assign(&d, "s-nocache");
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit = 's-nocache'", 5), 5);
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 's-nocache'"), 5);
    cr_assert_eq(metric(&d, "lift_expose_cache_hits_total"), 0);
    cr_assert_eq(metric(&d, "lift_expose_cache_entries"), 0);
}

Test(dedup, ofrep_shares_the_cache_and_posted_exposures_bypass_it)
{
    liftd_start(&d, conninfo, NULL, NULL);
    assign(&d, "s-ofrep");
    cr_assert_eq(liftd_post(&d, "/ofrep/v1/evaluate/flags/recs",
                            "{\"context\":{\"targetingKey\":\"s-ofrep\",\"device\":\"mobile\"}}",
                            &r),
                 200, "%s", r.body.data);
    cr_assert_eq(rows_of("s-ofrep"), 1, "the OFREP evaluation was the same exposure");
    /* What a client posts is stored as sent: the database merge is exact anyway. */
    const char *v = strstr(pgtest_value(db, "SELECT variant FROM lift.exposures "
                                            "WHERE unit = 's-ofrep'"),
                           "control")
                        ? "control"
                        : "personalized";
    char body[400];
    snprintf(body, sizeof body,
             "{\"exposures\":[{\"event_id\":\"p-1\",\"unit\":\"s-ofrep\",\"experiment\":\"recs\","
             "\"variant\":\"%s\"},{\"event_id\":\"p-2\",\"unit\":\"s-ofrep\",\"experiment\":"
             "\"recs\",\"variant\":\"%s\"}]}",
             v, v);
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit = 's-ofrep'"), 3);
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 's-ofrep'"), 3);
}

/* --- the reference: lift.assignments from the raw log ------------------------------- */

typedef struct raw {
    char exp[64], unit[64], id[64], variant[64], attrs[256];
    int phase;
    long long ts; /* microseconds since the epoch */
} raw;

static int cmp_raw(const void *pa, const void *pb)
{
    const raw *a = pa, *b = pb;
    int c = strcmp(a->exp, b->exp);
    if (!c)
        c = a->phase - b->phase;
    if (!c)
        c = strcmp(a->unit, b->unit);
    if (!c && a->ts != b->ts)
        c = a->ts < b->ts ? -1 : 1;
    return c ? c : strcmp(a->id, b->id); /* the cluster's collation is C: byte order */
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static PGresult *query(const char *sql)
{
    lift_err err;
    PGresult *res = lift_db_exec(db, sql, 0, NULL, NULL, &err);
    cr_assert(res, "%s", err.msg);
    return res;
}

/* One line per (experiment, phase, unit): first_ts first_id variant attrs {variants}
 * last_ts exposures, from the exposure rows alone (read in no particular order). Also
 * returns the number of distinct keys. */
static size_t reference(lift_buf *out)
{
    PGresult *res = query("SELECT experiment, phase, unit, event_id, variant,"
                          "  (extract(epoch FROM ts) * 1000000)::bigint AS ts,"
                          "  coalesce(attrs::text, '-') AS attrs"
                          " FROM lift.exposures ORDER BY random()");
    int n = PQntuples(res);
    raw *rows = calloc((size_t)n + 1, sizeof *rows);
    for (int i = 0; i < n; i++) {
        raw *w = &rows[i];
        snprintf(w->exp, sizeof w->exp, "%s", lift_db_text(res, i, "experiment"));
        snprintf(w->unit, sizeof w->unit, "%s", lift_db_text(res, i, "unit"));
        snprintf(w->id, sizeof w->id, "%s", lift_db_text(res, i, "event_id"));
        snprintf(w->variant, sizeof w->variant, "%s", lift_db_text(res, i, "variant"));
        snprintf(w->attrs, sizeof w->attrs, "%s", lift_db_text(res, i, "attrs"));
        w->phase = atoi(lift_db_text(res, i, "phase"));
        w->ts = atoll(lift_db_text(res, i, "ts"));
    }
    PQclear(res);
    qsort(rows, (size_t)n, sizeof *rows, cmp_raw);
    lift_buf_reset(out);
    size_t keys = 0;
    for (int i = 0; i < n;) {
        int j = i;
        long long last = rows[i].ts;
        const char *seen[64];
        int nseen = 0;
        for (; j < n && !strcmp(rows[j].exp, rows[i].exp) && rows[j].phase == rows[i].phase &&
               !strcmp(rows[j].unit, rows[i].unit);
             j++) {
            last = rows[j].ts > last ? rows[j].ts : last;
            bool known = false;
            for (int k = 0; k < nseen; k++)
                known |= !strcmp(seen[k], rows[j].variant);
            if (!known && nseen < 64)
                seen[nseen++] = rows[j].variant;
        }
        qsort(seen, (size_t)nseen, sizeof *seen, cmp_str);
        lift_buf_printf(out, "%s %d %s %lld %s %s %s {", rows[i].exp, rows[i].phase, rows[i].unit,
                        rows[i].ts, rows[i].id, rows[i].variant, rows[i].attrs);
        for (int k = 0; k < nseen; k++)
            lift_buf_printf(out, "%s%s", k ? "," : "", seen[k]);
        lift_buf_printf(out, "} %lld %d\n", last, j - i);
        keys++;
        i = j;
    }
    free(rows);
    return keys;
}

/* lift.assignments in the same format. */
static void stored(lift_buf *out)
{
    PGresult *res = query(
        "SELECT format('%s %s %s %s %s %s %s {%s} %s %s', experiment, phase, unit,"
        "  (extract(epoch FROM first_ts) * 1000000)::bigint, first_id, variant,"
        "  coalesce(attrs::text, '-'), array_to_string(variants, ','),"
        "  (extract(epoch FROM last_ts) * 1000000)::bigint, exposures) AS line"
        " FROM lift.assignments ORDER BY experiment COLLATE \"C\", phase, unit COLLATE \"C\"");
    lift_buf_reset(out);
    for (int i = 0; i < PQntuples(res); i++)
        lift_buf_printf(out, "%s\n", lift_db_text(res, i, "line"));
    PQclear(res);
}

/* lift.assignments equals the reference; returns the number of rows. */
static size_t assert_exact(const char *when)
{
    lift_buf want, got;
    lift_buf_init(&want);
    lift_buf_init(&got);
    size_t keys = reference(&want);
    stored(&got);
    cr_assert_gt(keys, 0);
    if (strcmp(want.data, got.data)) {
        const char *a = want.data, *b = got.data;
        while (*a && *a == *b)
            a++, b++;
        while (a > want.data && a[-1] != '\n')
            a--, b--;
        cr_assert_fail("%s: lift.assignments differs from the raw log\n want: %.200s\n  got: "
                       "%.200s",
                       when, a, b);
    }
    lift_buf_fini(&want);
    lift_buf_fini(&got);
    return keys;
}

static long mixed_count(void)
{
    return count("SELECT count(*) FROM lift.assignments WHERE cardinality(variants) > 1");
}

/* --- (b) two replicas on one database ------------------------------------------------ */

#define SHOPPERS 200
#define REQUESTS 1500 /* per replica and phase */

typedef struct driver {
    int port;
    unsigned seed;
    long failed;
} driver;

static void *drive(void *arg)
{
    driver *dr = arg;
    lift_err err;
    lift_httpc *h = lift_httpc_open("127.0.0.1", dr->port, 15000, &err);
    lift_httpc_response resp;
    lift_buf_init(&resp.body);
    uint64_t s = dr->seed;
    for (int i = 0; i < REQUESTS; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        char target[128];
        /* Every shopper once, then half the traffic on the first 20: repeat visits, the
         * same shoppers on both replicas. */
        int u = i < SHOPPERS ? i : (int)((s >> 33) % 2 ? (s >> 40) % 20 : (s >> 40) % SHOPPERS);
        snprintf(target, sizeof target, "/v1/assign?unit=r-%03d&attr.device=%s", u,
                 (s >> 20) % 2 ? "mobile" : "desktop");
        if (!h || lift_httpc_request(h, "GET", target, NULL, NULL, 0, &resp, &err) != LIFT_OK ||
            resp.status != 200)
            dr->failed++;
    }
    lift_buf_fini(&resp.body);
    lift_httpc_close(h);
    return NULL;
}

static void drive_both(unsigned seed)
{
    driver dr[2] = {{d.port, seed, 0}, {d2.port, seed * 7 + 1, 0}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, drive, &dr[t]), 0);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    cr_assert_eq(dr[0].failed + dr[1].failed, 0, "%ld requests failed",
                 dr[0].failed + dr[1].failed);
}

static void await_phase(liftd_proc *p, int phase)
{
    char want[32];
    snprintf(want, sizeof want, "\"phase\":%d", phase);
    for (int i = 0; i < 250; i++) {
        cr_assert_eq(liftd_get(p, "/v1/experiments", &r), 200);
        if (strstr(r.body.data, want))
            return;
        nap_ms(20);
    }
    cr_assert_fail("liftd on port %d did not load phase %d in 5 s", p->port, phase);
}

/* Client exposures of the other variant for every tenth shopper, at 00:00 UTC today: the
 * earliest exposure, and the shopper mixed. */
static void post_other_variants(int phase)
{
    lift_buf body;
    lift_buf_init(&body);
    lift_buf_puts(&body, "{\"exposures\":[");
    char sql[200];
    for (int u = 0; u < SHOPPERS; u += 10) {
        snprintf(sql, sizeof sql,
                 "SELECT variant FROM lift.exposures WHERE unit = 'r-%03d' AND phase = %d "
                 "AND event_id NOT LIKE 'post-%%' LIMIT 1",
                 u, phase);
        const char *v = pgtest_value(db, sql);
        const char *other = !*v ? "control" : !strcmp(v, "control") ? "personalized" : "control";
        lift_buf_printf(&body,
                        "%s{\"event_id\":\"post-%d-%03d\",\"unit\":\"r-%03d\",\"experiment\":"
                        "\"recs\",\"variant\":\"%s\",\"phase\":%d,\"ts\":\"%s\"}",
                        u ? "," : "", phase, u, u, other, phase,
                        pgtest_value(db, "SELECT to_char(date_trunc('day', now() AT TIME ZONE "
                                         "'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"));
    }
    lift_buf_puts(&body, "]}");
    cr_assert_eq(liftd_post(&d2, "/v1/exposures", body.data, &r), 202, "%s", r.body.data);
    lift_buf_fini(&body);
}

Test(dedup, two_replicas_on_one_database_keep_assignments_exact)
{
    liftd_start(&d, conninfo, NULL, NULL);
    liftd_start(&d2, conninfo, NULL, NULL);
    drive_both(11);
    nap_ms(100);
    post_other_variants(1);
    pgtest_ok(db, "UPDATE lift.experiments SET seed = 'phase-two' WHERE key = 'recs'");
    await_phase(&d, 2);
    await_phase(&d2, 2);
    drive_both(23);
    nap_ms(100);
    post_other_variants(2);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0); /* flushes what is queued */
    cr_assert_eq(liftd_stop(&d2, SIGTERM), 0);

    size_t keys = assert_exact("two replicas");
    /* The comparison sees one wrong count (then the row is put back). */
    lift_buf want, got;
    lift_buf_init(&want);
    lift_buf_init(&got);
    pgtest_ok(db, "UPDATE lift.assignments SET exposures = exposures + 1 WHERE unit = 'r-007'");
    reference(&want);
    stored(&got);
    cr_assert_str_neq(want.data, got.data);
    pgtest_ok(db, "UPDATE lift.assignments SET exposures = exposures - 1 WHERE unit = 'r-007'");
    lift_buf_fini(&want);
    lift_buf_fini(&got);
    /* The cache: each replica logged each (phase, shopper, variant) once. */
    cr_assert_eq(count("SELECT count(*) FROM (SELECT 1 FROM lift.exposures"
                       " WHERE event_id NOT LIKE 'post-%' GROUP BY phase, unit, variant,"
                       " split_part(event_id, '-', 1) HAVING count(*) > 1) x"),
                 0, "a replica logged a shopper twice");
    long logged = count("SELECT count(*) FROM lift.exposures WHERE event_id NOT LIKE 'post-%'");
    cr_assert_leq(logged, 2 * 2 * SHOPPERS, "%ld rows for 4 * %d requests", logged, REQUESTS);
    cr_assert_eq(mixed_count(), 2 * SHOPPERS / 10, "every tenth shopper of each phase is mixed");
    cr_assert_eq(count("SELECT count(*) FROM lift.assignments WHERE first_id LIKE 'post-%'"),
                 2 * SHOPPERS / 10, "the posted exposures are the earliest");
    cr_log_info("two replicas: %d requests, %ld exposure rows logged, %zu assignment rows "
                "(%ld mixed), equal to the raw log's aggregation",
                4 * REQUESTS, logged, keys, mixed_count());
}

/* --- (c) kill -9 and spool replay ---------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void await_metric_at_least(liftd_proc *p, const char *name, long want)
{
    long v = 0;
    for (int i = 0; i < 500 && (v = metric(p, name)) < want; i++)
        nap_ms(20);
    cr_assert_geq(v, want, "%s is %ld, not %ld, after 10 s", name, v, want);
}

Test(dedup, sigkill_and_spool_replay_keep_assignments_exact)
{
    /* Replica A once on the database, to cache the config, then away from it: its
     * exposures go to the spool. */
    liftd_start(&d, conninfo, NULL, NULL);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    const char *away[] = {"--db", "host=/nonexistent port=1 dbname=lift", NULL};
    liftd_start(&d, conninfo, away, NULL);
    for (int round = 0; round < 3; round++)
        for (int u = 0; u < SHOPPERS; u++) {
            char unit[32];
            snprintf(unit, sizeof unit, "k-%03d", u);
            assign(&d, unit);
        }
    await_metric_at_least(&d, "lift_spooled_rows_total", SHOPPERS);
    cr_assert_eq(metric(&d, "lift_spooled_rows_total"), SHOPPERS, "the cache works when spooling");
    cr_assert_eq(metric(&d, "lift_expose_cache_hits_total"), 2 * SHOPPERS);
    /* Meanwhile replica B, on the database, sees the same shoppers later, and a client posts
     * the other variant for every tenth shopper later still. */
    liftd_start(&d2, conninfo, NULL, NULL);
    for (int u = 0; u < SHOPPERS; u += 2) {
        char unit[32];
        snprintf(unit, sizeof unit, "k-%03d", u);
        assign(&d2, unit);
        assign(&d2, unit);
    }
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'k-%'", SHOPPERS / 2),
                 SHOPPERS / 2);
    lift_buf body;
    lift_buf_init(&body);
    lift_buf_puts(&body, "{\"exposures\":[");
    for (int u = 0; u < SHOPPERS; u += 10) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT variant FROM lift.exposures WHERE unit = 'k-%03d'", u);
        const char *v = pgtest_value(db, sql);
        lift_buf_printf(&body,
                        "%s{\"event_id\":\"late-%03d\",\"unit\":\"k-%03d\",\"experiment\":"
                        "\"recs\",\"variant\":\"%s\"}",
                        u ? "," : "", u, u, strcmp(v, "control") ? "control" : "personalized");
    }
    lift_buf_puts(&body, "]}");
    cr_assert_eq(liftd_post(&d2, "/v1/exposures", body.data, &r), 202, "%s", r.body.data);
    lift_buf_fini(&body);
    assert_exact("before the replay");
    char b_prefix[40]; /* B's exposure ids are <prefix>-<counter> */
    snprintf(b_prefix, sizeof b_prefix, "%s",
             pgtest_value(db, "SELECT string_agg(DISTINCT split_part(event_id, '-', 1), ',') FROM "
                              "lift.exposures WHERE unit LIKE 'k-%' AND event_id NOT LIKE "
                              "'late-%'"));
    cr_assert_eq(strlen(b_prefix), 16, "one prefix: %s", b_prefix);
    cr_assert_eq(count("SELECT count(*) FROM lift.assignments WHERE unit LIKE 'k-%'"),
                 SHOPPERS / 2);

    /* kill -9, keep a copy of the spool, restart on the database: the spool is replayed. */
    kill(d.pid, SIGKILL);
    waitpid(d.pid, NULL, 0);
    d.pid = 0;
    lift_httpc_close(d.http);
    d.http = NULL;
    char spool[700], copy[720];
    snprintf(spool, sizeof spool, "%s/spool/exposures.csv", d.home);
    snprintf(copy, sizeof copy, "%s.copy", spool);
    copy_file(spool, copy);
    liftd_start(&d, conninfo, NULL, NULL);
    await_metric_at_least(&d, "lift_replayed_rows_total", SHOPPERS);
    cr_assert_eq(settled("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'k-%'",
                         SHOPPERS / 2 + SHOPPERS + SHOPPERS / 10),
                 SHOPPERS / 2 + SHOPPERS + SHOPPERS / 10);
    size_t keys = assert_exact("after the replay");
    /* The spooled exposures are the earliest: A's variant and time are every shopper's
     * first; the shoppers a client posted the other variant for are mixed. */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM lift.assignments WHERE unit LIKE 'k-%%' AND first_id NOT LIKE "
             "'late-%%' AND split_part(first_id, '-', 1) <> '%s'",
             b_prefix);
    cr_assert_eq(count(sql), SHOPPERS, "the replayed exposure is every shopper's first");
    cr_assert_eq(mixed_count(), SHOPPERS / 10);
    long exposures_sum = count("SELECT sum(exposures) FROM lift.assignments");

    /* A crash during a replay repeats rows: kill -9 again, put the whole spool back, and
     * restart. The rows are stored and merged once. */
    kill(d.pid, SIGKILL);
    waitpid(d.pid, NULL, 0);
    d.pid = 0;
    lift_httpc_close(d.http);
    d.http = NULL;
    copy_file(copy, spool);
    liftd_start(&d, conninfo, NULL, NULL);
    await_metric_at_least(&d, "lift_replayed_rows_total", SHOPPERS);
    nap_ms(300);
    assert_exact("after replaying the same spool again");
    cr_assert_eq(count("SELECT sum(exposures) FROM lift.assignments"), exposures_sum,
                 "nothing counted twice");
    cr_log_info("kill -9 and replay: %zu assignment rows exact against the raw log, twice", keys);
}
