/* The exposure spool (server/spool.h): whole rows appended and read back in order, what is
 * pending kept across a reopen, never a partial row read, a full disk cut back to the last
 * whole row, and concurrent appends that keep every row intact. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/spool.h"

static char dir[512], path[600];
static lift_metrics m;
static lift_spool *sp;
static lift_buf got;

static void setup(void)
{
    static int serial;
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/spool-%d-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid(),
             serial++);
    snprintf(path, sizeof path, "%s/exposures.csv", dir);
    lift_metrics_init(&m);
    lift_buf_init(&got);
}

static void teardown(void)
{
    lift_spool_close(sp);
    sp = NULL;
    lift_buf_fini(&got);
    unlink(path);
    rmdir(dir);
}

TestSuite(spool, .init = setup, .fini = teardown, .timeout = 60);

static void open_spool(void)
{
    lift_err err;
    lift_spool_close(sp);
    sp = lift_spool_open(dir, &m, &err);
    cr_assert(sp, "%s", err.msg);
}

static void append(const char *rows, size_t nrows)
{
    cr_assert(lift_spool_append(sp, rows, strlen(rows), nrows));
}

/* Reads up to max bytes of whole rows; returns them (in got) and checks the count. */
static const char *read_rows(size_t max)
{
    lift_buf_reset(&got);
    size_t n = lift_spool_read(sp, &got, max);
    cr_assert_eq(n, got.len);
    return got.len ? got.data : "";
}

static long file_size(void)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return (long)st.st_size;
}

Test(spool, reads_back_whole_rows_in_order)
{
    open_spool();
    cr_assert_eq(lift_spool_pending(sp), 0);
    cr_assert_str_eq(read_rows(1 << 20), "");
    append("a,1\n", 1);
    append("bb,2\nccc,3\n", 2);
    cr_assert_eq(lift_spool_pending(sp), 15);
    cr_assert_eq(atomic_load(&m.spool_pending_bytes), 15);
    cr_assert_eq(atomic_load(&m.spooled_rows), 3);
    cr_assert(lift_spool_ok(sp));
    cr_assert_str_eq(read_rows(1 << 20), "a,1\nbb,2\nccc,3\n");
    /* Reading does not consume: only lift_spool_done does. */
    cr_assert_str_eq(read_rows(1 << 20), "a,1\nbb,2\nccc,3\n");
    /* Whole rows only: a limit inside a row stops before it. */
    cr_assert_str_eq(read_rows(3), "");
    cr_assert_str_eq(read_rows(4), "a,1\n");
    cr_assert_str_eq(read_rows(8), "a,1\n");
    cr_assert_str_eq(read_rows(9), "a,1\nbb,2\n");
    lift_spool_done(sp, 4);
    cr_assert_eq(lift_spool_pending(sp), 11);
    cr_assert_eq(atomic_load(&m.spool_pending_bytes), 11);
    cr_assert_str_eq(read_rows(1 << 20), "bb,2\nccc,3\n");
    /* Appended after a partial replay: still after what is pending. */
    append("d,4\n", 1);
    cr_assert_str_eq(read_rows(1 << 20), "bb,2\nccc,3\nd,4\n");
    /* Everything replayed: the file is emptied. */
    lift_spool_done(sp, 15);
    cr_assert_eq(lift_spool_pending(sp), 0);
    cr_assert_eq(file_size(), 0);
    cr_assert_str_eq(read_rows(1 << 20), "");
    append("e,5\n", 1);
    cr_assert_str_eq(read_rows(1 << 20), "e,5\n");
}

Test(spool, reopening_keeps_what_is_pending)
{
    open_spool();
    append("a,1\nb,2\nc,3\n", 3);
    lift_spool_done(sp, 4);
    open_spool();
    /* The replayed mark lives in memory only: after a restart the file's every row is
     * pending again, which replay's ON CONFLICT DO NOTHING makes harmless (spool.h). */
    cr_assert_eq(lift_spool_pending(sp), 12);
    cr_assert_eq(atomic_load(&m.spool_pending_bytes), 12);
    cr_assert_str_eq(read_rows(1 << 20), "a,1\nb,2\nc,3\n");
    lift_spool_done(sp, 12);
    open_spool();
    cr_assert_eq(lift_spool_pending(sp), 0);
    cr_assert_str_eq(read_rows(1 << 20), "");
}

Test(spool, never_reads_a_torn_last_row)
{
    /* A crash mid-write left half a row at the end. */
    mkdir(dir, 0750);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "a,1\nb,2\nc,", 10), 10);
    close(fd);
    open_spool();
    cr_assert_eq(lift_spool_pending(sp), 10);
    cr_assert_str_eq(read_rows(1 << 20), "a,1\nb,2\n");
    lift_spool_done(sp, 8);
    cr_assert_str_eq(read_rows(1 << 20), "");
    cr_assert_eq(lift_spool_pending(sp), 2);
}

Test(spool, a_full_disk_cuts_back_to_the_last_whole_row)
{
    /* This test runs in a process of its own (Criterion forks one per test): a file size
     * limit of 20 bytes stands for a full disk. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {20, 20};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    open_spool();
    append("0123456789abcd\n", 1); /* 15 bytes */
    cr_assert_not(lift_spool_append(sp, "0123456789\n", 11, 1), "past the limit, yet written");
    cr_assert_not(lift_spool_ok(sp));
    cr_assert_eq(atomic_load(&m.spool_ok), 0);
    cr_assert_eq(atomic_load(&m.dropped_rows), 1);
    cr_assert_eq(atomic_load(&m.spool_errors), 1);
    cr_assert_eq(file_size(), 15, "the torn row was not cut back");
    cr_assert_eq(lift_spool_pending(sp), 15);
    cr_assert_str_eq(read_rows(1 << 20), "0123456789abcd\n");
    /* Writes that fit succeed again. */
    append("xyz\n", 1);
    cr_assert(lift_spool_ok(sp));
    cr_assert_eq(atomic_load(&m.spool_ok), 1);
    cr_assert_str_eq(read_rows(1 << 20), "0123456789abcd\nxyz\n");
}

/* --- concurrent appends ---------------------------------------------------------------- */

#define WRITERS 4
#define BATCHES 1500

/* Row j of batch i of writer t: "t,i,j,<payload of i*j % 97 + 1 letters of t>". */
static void make_rows(int t, int i, lift_buf *b, size_t *nrows)
{
    lift_buf_reset(b);
    *nrows = (size_t)(i % 3) + 1;
    for (size_t j = 0; j < *nrows; j++) {
        lift_buf_printf(b, "%d,%d,%zu,", t, i, j);
        for (int k = 0; k < (int)((size_t)i * j % 97) + 1; k++)
            lift_buf_append(b, &"abcd"[t], 1);
        lift_buf_puts(b, "\n");
    }
}

static void *appender(void *arg)
{
    int t = (int)(intptr_t)arg;
    lift_buf b;
    lift_buf_init(&b);
    for (int i = 0; i < BATCHES; i++) {
        size_t nrows;
        make_rows(t, i, &b, &nrows);
        lift_spool_append(sp, b.data, b.len, nrows);
    }
    lift_buf_fini(&b);
    return NULL;
}

Test(spool, concurrent_appends_keep_every_row_whole)
{
    open_spool();
    pthread_t th[WRITERS];
    for (int t = 0; t < WRITERS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, appender, (void *)(intptr_t)t), 0);
    for (int t = 0; t < WRITERS; t++)
        pthread_join(th[t], NULL);
    cr_assert(lift_spool_ok(sp));
    /* Read it all back through the spool, as the replay does, in slices. */
    lift_buf all;
    lift_buf_init(&all);
    for (;;) {
        size_t n = lift_spool_read(sp, &all, 4096);
        if (n == 0)
            break;
        lift_spool_done(sp, n);
    }
    cr_assert_eq(lift_spool_pending(sp), 0);
    /* Each writer's batches appear whole, in its order, rows of one batch together. */
    int next[WRITERS] = {0};
    size_t rows = 0, expected_rows = 0;
    lift_buf want;
    lift_buf_init(&want);
    const char *p = all.data, *end = all.data + all.len;
    while (p < end) {
        int t = *p - '0';
        cr_assert(t >= 0 && t < WRITERS, "bad row at byte %td: %.40s", p - all.data, p);
        cr_assert_lt(next[t], BATCHES, "writer %d: more batches than it wrote", t);
        size_t nrows;
        make_rows(t, next[t]++, &want, &nrows);
        cr_assert_leq(want.len, (size_t)(end - p));
        cr_assert_eq(memcmp(p, want.data, want.len), 0,
                     "writer %d batch %d torn or out of order at byte %td: %.60s", t, next[t] - 1,
                     p - all.data, p);
        p += want.len;
        rows += nrows;
    }
    for (int t = 0; t < WRITERS; t++) {
        cr_assert_eq(next[t], BATCHES, "writer %d: %d of %d batches", t, next[t], BATCHES);
        for (int i = 0; i < BATCHES; i++)
            expected_rows += (size_t)(i % 3) + 1;
    }
    cr_assert_eq(rows, expected_rows);
    cr_assert_eq(atomic_load(&m.spooled_rows), expected_rows);
    lift_buf_fini(&want);
    lift_buf_fini(&all);
}
