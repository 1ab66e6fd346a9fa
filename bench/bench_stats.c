/* bench/stats: `liftctl stats` on one request of 1000 metrics x 3 variants with CUPED and
 * Benjamini–Hochberg on. Target: < 50 ms for the whole command. Baseline in the same run:
 * `liftctl stats` on a request with no metrics (process start, parse, write). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define RUNS 9

static void write_request(const char *path, int nmetrics)
{
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"alpha\":0.05,\"correction\":\"bh\",\"variants\":[\"control\",\"recs_a\","
               "\"recs_b\"],\"weights\":[0.34,0.33,0.33],\"units\":[34012,33020,32987],"
               "\"metrics\":[");
    for (int m = 0; m < nmetrics; m++) {
        int kind = m % 3; /* proportion (CUPED), mean (CUPED), ratio */
        fprintf(f, "%s{\"key\":\"metric_%d\",\"type\":\"%s\",\"cuped\":%s,\"data\":[", m ? "," : "",
                m,
                kind == 0   ? "proportion"
                : kind == 1 ? "mean"
                            : "ratio",
                kind == 2 ? "false" : "true");
        for (int v = 0; v < 3; v++) {
            double n = 33000 + 500 * v, lift = 1 + 0.01 * v + 0.0001 * m;
            if (kind == 0)
                fprintf(f, "%s{\"n\":%.0f,\"sum\":%.0f,\"pre_sum\":%.0f,\"sum_x_pre\":%.0f}",
                        v ? "," : "", n, n * 0.05 * lift, n * 0.04, n * 0.012);
            else if (kind == 1)
                fprintf(f,
                        "%s{\"n\":%.0f,\"sum\":%.6f,\"sum_sq\":%.6f,\"pre_sum\":%.6f,"
                        "\"pre_sum_sq\":%.6f,\"sum_x_pre\":%.6f}",
                        v ? "," : "", n, n * 16.4 * lift, n * 2431 * lift * lift, n * 15.9,
                        n * 2300, n * 1600 * lift);
            else
                fprintf(f,
                        "%s{\"n\":%.0f,\"sum\":%.6f,\"sum_sq\":%.6f,\"den_sum\":%.0f,"
                        "\"den_sum_sq\":%.0f,\"sum_x_den\":%.6f}",
                        v ? "," : "", n / 20, n / 20 * 78 * lift, n / 20 * 9000 * lift * lift,
                        n / 20 * 1.4, n / 20 * 2.4, n / 20 * 130 * lift);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n");
    fclose(f);
}

/* Median wall time in ms of `liftctl stats path`. */
static double time_stats(const char *liftctl, const char *path)
{
    double ms[RUNS];
    for (int r = 0; r < RUNS; r++) {
        int64_t t0 = lift_time_mono();
        pid_t pid = fork();
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stdout))
                _exit(126);
            execl(liftctl, "liftctl", "stats", path, (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        ms[r] = (double)(lift_time_mono() - t0) / 1000.0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench/stats: liftctl stats failed\n");
            exit(1);
        }
    }
    return bench_median(ms, RUNS);
}

int main(int argc, char **argv)
{
    const char *build = argc > 1 ? argv[1] : "build";
    char liftctl[512], big[64], empty[64];
    snprintf(liftctl, sizeof liftctl, "%s/liftctl", build);
    snprintf(big, sizeof big, "/tmp/lift-bench-stats-%d.json", (int)getpid());
    snprintf(empty, sizeof empty, "/tmp/lift-bench-empty-%d.json", (int)getpid());
    write_request(big, 1000);
    write_request(empty, 0);
    double base = time_stats(liftctl, empty), t = time_stats(liftctl, big);
    printf("stats: 1000 metrics x 3 variants, CUPED + BH  %7.1f ms   target < 50 ms  %s\n", t,
           t < 50 ? "ok" : "MISSED");
    printf("baseline: the same command, no metrics        %7.1f ms   (process start, parse)\n",
           base);
    printf("(median of %d runs of the whole `liftctl stats` process)\n", RUNS);
    unlink(big);
    unlink(empty);
    return 0;
}
