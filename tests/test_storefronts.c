/* Storefronts in any language, end to end: GrowthBook's and OpenFeature's real SDKs (npm, in
 * Node), a browser page in headless Chromium and the examples/ programs, against a real liftd
 * and PostgreSQL with the experiments of tests/compat/config.sql. The scripts print their
 * figures; every response they see is checked against docs/openapi.yaml afterwards. */
#define _DEFAULT_SOURCE /* realpath, usleep */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024], client_key[64];
static liftd_proc d;

/* A loopback port nobody listens on now (for the storefront, whose origin the key needs). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void make_key(const char *args, char *out, size_t len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "keys create --client %s", args);
    snprintf(out, len, "%s", cli_ok(conninfo, cmd));
    out[strcspn(out, "\n")] = '\0';
    cr_assert_eq(strlen(out), 35, "not a client key: '%s'", out);
}

static void start(const char *const *config)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    for (const char *const *f = config; *f; f++)
        pgtest_ok(db, read_file(*f));
    make_key("--origin http://127.0.0.1:9 --rate unlimited --note tests", client_key,
             sizeof client_key);
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, NULL, NULL);
}

/* The SDKs are compared on experiments made to cover every targeting path. */
static void setup(void)
{
    static const char *const files[] = {"tests/compat/config.sql", NULL};
    start(files);
}

/* The examples run on the example experiments of sql/examples/, as a user would. */
static void setup_examples(void)
{
    static const char *const files[] = {"sql/examples/global_holdout.sql",
                                        "sql/examples/homepage_recs.sql",
                                        "sql/examples/checkout_aa.sql", NULL};
    start(files);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_db_close(db);
}

TestSuite(sdks, .init = setup, .fini = teardown, .timeout = 240);
TestSuite(examples, .init = setup_examples, .fini = teardown, .timeout = 240);

/* Runs `node SCRIPT ARGS` from dir with the test's environment (and extra "NAME=value ..."),
 * logs what it prints and returns its exit status. */
static int node_in(const char *dir, const char *script, const char *extra)
{
    const char *build = getenv("LIFT_TEST_BUILD");
    char modules[PATH_MAX], rel[PATH_MAX], cmd[8192];
    snprintf(rel, sizeof rel, "%s/node/node_modules", build && *build ? build : "build");
    cr_assert(realpath(rel, modules),
              "%s is missing: `make test` installs the npm packages "
              "(scripts/node_deps.sh)",
              rel);
    snprintf(cmd, sizeof cmd,
             "cd %s && NODE_PATH='%s' LIFT_URL=http://127.0.0.1:%d LIFT_CLIENT_KEY=%s "
             "LIFT_SECRET_KEY=%s LIFT_TEST_DSN='%s' %s timeout 200 node %s 2>&1",
             dir, modules, d.port, client_key, TEST_KEY, conninfo, extra ? extra : "", script);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char line[4096];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        cr_log_info("%s", line);
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int node(const char *script, const char *extra)
{
    return node_in("tests/compat", script, extra);
}

Test(sdks, growthbook_sdk_gives_the_variants_of_assign_to_10000_shoppers)
{
    cr_assert_eq(node("growthbook_parity.js 10000", NULL), 0);
}

Test(sdks, growthbook_conditions_agree_with_lift_on_edge_values)
{
    cr_assert_eq(node("conditions.js", NULL), 0);
}

Test(sdks, what_the_payload_cannot_express_differs_only_as_documented)
{
    cr_assert_eq(node("limits.js", NULL), 0);
}

Test(sdks, a_config_change_reaches_the_growthbook_sdk_stream_within_a_second)
{
    cr_assert_eq(node("sse_latency.js 5", NULL), 0);
}

Test(sdks, openfeature_ofrep_provider_gives_the_variants_and_payloads_of_assign)
{
    cr_assert_eq(node("ofrep_parity.js 600", NULL), 0);
}

Test(examples, browser_page_in_headless_chromium_with_a_client_key)
{
    int port = free_port();
    char key[64], extra[512];
    char args[128];
    snprintf(args, sizeof args, "--origin http://127.0.0.1:%d --note browser", port);
    make_key(args, key, sizeof key);
    snprintf(extra, sizeof extra, "STOREFRONT_PORT=%d LIFT_CLIENT_KEY=%s", port, key);
    cr_assert_eq(node("browser.js", extra), 0);
}

Test(examples, node_storefront_example_with_the_growthbook_sdk)
{
    cr_assert_eq(node("storefront_example.js", NULL), 0);
}

Test(examples, openfeature_example)
{
    cr_assert_eq(node_in("examples", "openfeature/evaluate.js shopper-of-1", NULL), 0);
    long n = 0;
    for (int i = 0; i < 200 && n < 1; i++, usleep(10000))
        n = atol(pgtest_value(db, "SELECT count(*) FROM lift.exposures WHERE unit = "
                                  "'shopper-of-1' AND experiment = 'homepage_recs'"));
    cr_assert_eq(n, 1, "the OFREP evaluation logs its exposure");
}

Test(examples, python_example_with_the_standard_library_only)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "LIFT_URL=http://127.0.0.1:%d LIFT_API_KEY=%s timeout 60 /usr/bin/python3 -I "
             "examples/python/storefront.py shopper-py-1 2>&1",
             d.port, TEST_KEY);
    FILE *p = popen(cmd, "r");
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    cr_log_info("%s", out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the Python example failed:\n%s", out);
    cr_assert(strstr(out, "checkout_aa") && strstr(out, "OFREP"), "%s", out);
    /* What it posted is stored: its page view and order, and the exposures of its
     * assignment (it is in checkout_aa and the holdout at least). */
    long events = 0, exposures = 0;
    for (int i = 0; i < 200 && (events < 2 || exposures < 1); i++) {
        events = atol(pgtest_value(db, "SELECT count(*) FROM lift.events WHERE unit = "
                                       "'shopper-py-1' AND type IN ('page_view', 'order')"));
        exposures = atol(
            pgtest_value(db, "SELECT count(*) FROM lift.exposures WHERE unit = 'shopper-py-1'"));
        usleep(10000);
    }
    cr_assert_eq(events, 2);
    cr_assert_geq(exposures, 1);
}
