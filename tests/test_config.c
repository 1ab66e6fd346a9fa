/* The config model: the file loader refuses bad config naming the field; the database
 * loader (lift.config_document) yields the same model and the same assignments; the
 * liftctl hash and assign commands. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lift/assign.h"
#include "lift/config_db.h"
#include "lift/text.h"
#include "support/pgtest.h"

static void refused(const char *doc, const char *field, const char *msg)
{
    lift_err err;
    lift_config *cfg = lift_config_parse(doc, strlen(doc), &err);
    cr_assert_null(cfg, "accepted: %s", doc);
    cr_assert_eq(err.code, LIFT_EINVAL);
    cr_assert_str_eq(err.field, field);
    cr_assert_str_eq(err.msg, msg);
}

#define V2 "\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}]"

Test(config_file, refuses_bad_config_naming_the_field)
{
    refused("{\"experiments\":[{\"key\":\"x\",\"coverage\":1.5," V2 "}]}",
            "experiments[0].coverage", "experiments[0].coverage: expected a number in [0, 1]");
    refused("{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"a\",\"weight\":0.5},"
            "{\"key\":\"b\",\"weight\":0.4}]}]}",
            "experiments[0].variants", "experiments[0].variants: weights sum to 0.9, not 1");
    refused("{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"a\"}]}]}",
            "experiments[0].variants",
            "experiments[0].variants: a running experiment needs at least 2 variants");
    refused("{\"experiments\":[{\"key\":\"x\",\"hash_version\":3," V2 "}]}",
            "experiments[0].hash_version",
            "experiments[0].hash_version: expected a whole number in [1, 2]");
    refused("{\"experiments\":[{\"key\":\"x\"," V2 ",\"overrides\":[{\"unit\":\"u\","
            "\"variant\":\"zz\"}]}]}",
            "experiments[0].overrides[0].variant",
            "experiments[0].overrides[0].variant: unknown variant");
    refused("{\"experiments\":[{\"key\":\"x\"," V2 ",\"audience\":[{\"attr\":\"d\","
            "\"op\":\"like\",\"value\":\"m\"}]}]}",
            "experiments[0].audience[0].op",
            "experiments[0].audience[0].op: expected one of eq, ne, in, nin, lt, lte, gt, gte, "
            "exists");
    refused("{\"experiments\":[{\"key\":\"a\"," V2 ",\"layer\":{\"name\":\"L\",\"range\":[0,0.6]}},"
            "{\"key\":\"b\"," V2 ",\"layer\":{\"name\":\"L\",\"range\":[0.5,1]}}]}",
            "experiments[1].layer.range",
            "experiments[1].layer.range: range [0.5, 1) of layer \"L\" overlaps running "
            "experiment \"a\" [0, 0.6)");
    refused("{\"experiments\":[{\"key\":\"x\"," V2 "},{\"key\":\"x\"," V2 "}]}",
            "experiments[1].key", "experiments[1].key: duplicate experiment key");
    refused("{\"experiments\":[{\"key\":\"bad key\"," V2 "}]}", "experiments[0].key",
            "experiments[0].key: expected 1 to 64 letters, digits, '_', '.' or '-'");
    refused("{\"experiments\":{}}", "experiments", "experiments: expected an array");

    lift_err err;
    cr_assert_null(lift_config_parse("{\"experiments\":[", 16, &err));
    cr_assert_str_eq(err.msg,
                     "config is not valid JSON (line 1, column 16): ']' expected near end of file");
}

/* The same experiments as SQL rows and as a file. */
static const char SQL[] =
    "BEGIN;"
    "INSERT INTO lift.layers (name) VALUES ('homepage');"
    "INSERT INTO lift.audiences (key) VALUES ('mobile');"
    "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES"
    "  ('mobile', 'device', 'in', '[\"mobile\", \"tablet\"]');"
    "INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end, seed,"
    "  coverage) VALUES ('recs', 'Recs', 'running', 'homepage', 0, 0.6, 'recs-s1', 0.9);"
    "INSERT INTO lift.variants (experiment, key, weight, payload) VALUES"
    "  ('recs', 'control', 0.4, '{\"recs\": \"generic\"}'),"
    "  ('recs', 'personalized', 0.6, '{\"recs\": \"ml\"}');"
    "INSERT INTO lift.overrides (experiment, unit, variant) VALUES ('recs', 'qa', 'control');"
    "INSERT INTO lift.experiments (key, name, status, audience, hash_version) VALUES"
    "  ('banner', 'Banner', 'running', 'mobile', 1);"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('banner', 'a', 0.25), ('banner', 'b', 0.25), ('banner', 'c', 0.5);"
    "INSERT INTO lift.experiments (key, name) VALUES ('draft', 'Draft');"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES ('draft', 'a', 1);"
    "COMMIT;";

static const char FILE_DOC[] =
    "{\"experiments\":["
    "{\"key\":\"banner\",\"hash_version\":1,\"variants\":[{\"key\":\"a\",\"weight\":0.25},"
    " {\"key\":\"b\",\"weight\":0.25},{\"key\":\"c\",\"weight\":0.5}],"
    " \"audience\":[{\"attr\":\"device\",\"op\":\"in\",\"value\":[\"mobile\",\"tablet\"]}]},"
    "{\"key\":\"draft\",\"status\":\"draft\",\"variants\":[{\"key\":\"a\",\"weight\":1}]},"
    "{\"key\":\"recs\",\"seed\":\"recs-s1\",\"coverage\":0.9,"
    " \"layer\":{\"name\":\"homepage\",\"range\":[0,0.6]},"
    " \"variants\":[{\"key\":\"control\",\"weight\":0.4,\"payload\":{\"recs\":\"generic\"}},"
    " {\"key\":\"personalized\",\"weight\":0.6,\"payload\":{\"recs\":\"ml\"}}],"
    " \"overrides\":[{\"unit\":\"qa\",\"variant\":\"control\"}]}]}";

Test(config_db, database_and_file_give_the_same_assignments)
{
    lift_db *db = pgtest_db(NULL, 0);
    pgtest_ok(db, SQL);
    lift_err err;
    lift_config *from_db = lift_config_load_db(db, &err);
    cr_assert(from_db, "%s", err.msg);
    lift_config *from_file = lift_config_parse(FILE_DOC, strlen(FILE_DOC), &err);
    cr_assert(from_file, "%s", err.msg);
    cr_assert_eq(from_db->nexperiments, 3);
    cr_assert_gt(from_db->version, 1);
    lift_buf a, b;
    lift_buf_init(&a);
    lift_buf_init(&b);
    lift_attr attrs[] = {{"device", 6, "mobile", 6}};
    long assigned = 0;
    for (long i = 0; i < 5000; i++) {
        char unit[32];
        snprintf(unit, sizeof unit, i == 0 ? "qa" : "s-%ld", i);
        lift_request req = {unit, strlen(unit), attrs, i % 2, 0, true, -1};
        lift_assignment x[3], y[3];
        size_t nx, ny;
        cr_assert_eq(lift_assign_eval(from_db, &req, x, &nx, &err), LIFT_OK);
        cr_assert_eq(lift_assign_eval(from_file, &req, y, &ny, &err), LIFT_OK);
        lift_buf_reset(&a);
        lift_buf_reset(&b);
        lift_assign_render(&a, from_db, unit, strlen(unit), x, nx);
        lift_assign_render(&b, from_file, unit, strlen(unit), y, ny);
        cr_assert_str_eq(a.data, b.data);
        assigned += (long)nx;
    }
    cr_assert_gt(assigned, 4000, "too few assignments (%ld) to compare anything", assigned);
    lift_buf_fini(&a);
    lift_buf_fini(&b);
    lift_config_free(from_db);
    lift_config_free(from_file);
    lift_db_close(db);
}

Test(config_db, a_draft_without_variants_does_not_hold_the_config_back)
{
    lift_db *db = pgtest_db(NULL, 0);
    pgtest_ok(db, SQL);
    pgtest_ok(db, "INSERT INTO lift.experiments (key, name) VALUES ('later', 'Not yet')");
    lift_err err;
    lift_config *cfg = lift_config_load_db(db, &err);
    cr_assert(cfg, "%s", err.msg);
    int later = lift_config_find(cfg, "later", 5);
    cr_assert_geq(later, 0);
    cr_assert_eq(cfg->experiments[later].nvariants, 0);
    cr_assert_eq(cfg->experiments[later].status, LIFT_STATUS_DRAFT);
    lift_config_free(cfg);
    /* A running experiment still needs its variants. */
    const char *doc = "{\"experiments\":[{\"key\":\"x\",\"variants\":[]}]}";
    cr_assert_null(lift_config_parse(doc, strlen(doc), &err));
    cr_assert_str_eq(err.msg, "experiments[0].variants: expected an array of 1 to 100 variants");
    lift_db_close(db);
}

/* --- the CLI --------------------------------------------------------------------------- */

static const char *tmpdir(void)
{
    const char *t = getenv("LIFT_TEST_TMP");
    return t && *t ? t : "/tmp";
}

/* Runs a shell command line, returning its stdout (static) and exit status. */
static const char *run(const char *cmd, int *status)
{
    static char out[1 << 16];
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

Test(config_cli, hash_batch_reproduces_the_vectors)
{
    json_error_t jerr;
    json_t *v = json_load_file("tests/vectors/growthbook-bucketing.json", 0, &jerr);
    cr_assert(v, "%s", jerr.text);
    char path[256], cmd[600];
    snprintf(path, sizeof path, "%s/hash-batch.txt", tmpdir());
    FILE *f = fopen(path, "w");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "hash"), i, c)
        fprintf(f, "%s\t%s\t%lld\n", json_string_value(json_array_get(c, 0)),
                json_string_value(json_array_get(c, 1)),
                (long long)json_integer_value(json_array_get(c, 2)));
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s hash --batch < %s", pgtest_bin("liftctl"), path);
    int status;
    char *out = strdup(run(cmd, &status));
    cr_assert_eq(status, 0);
    char *line = strtok(out, "\n");
    json_array_foreach(json_object_get(v, "hash"), i, c)
    {
        cr_assert(line, "output ended at case %zu", i);
        const json_t *want = json_array_get(c, 3);
        if (json_is_null(want))
            cr_assert_str_eq(line, "null");
        else
            cr_assert_eq(strtod(line, NULL), json_number_value(want), "case %zu: %s", i, line);
        line = strtok(NULL, "\n");
    }
    free(out);
    json_decref(v);
}

Test(config_cli, hash_refuses_invalid_utf8)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s hash seed \"$(printf 'a\\377')\" 2>&1", pgtest_bin("liftctl"));
    int status;
    const char *out = run(cmd, &status);
    cr_assert_eq(status, 2);
    cr_assert_str_eq(out, "liftctl hash: value is not valid UTF-8 (or longer than 4096 units)\n");
}

Test(config_cli, assign_from_file_and_from_database_agree)
{
    char conninfo[1024], path[256], cmd[2048];
    lift_db *db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, SQL);
    snprintf(path, sizeof path, "%s/config-%d.json", tmpdir(), (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(FILE_DOC, f);
    fclose(f);
    int status;
    snprintf(cmd, sizeof cmd,
             "seq 1 300 | sed 's/^/u-/' | %s assign --units - --attr device=tablet "
             "--config %s",
             pgtest_bin("liftctl"), path);
    char *from_file = strdup(run(cmd, &status));
    cr_assert_eq(status, 0);
    snprintf(cmd, sizeof cmd,
             "seq 1 300 | sed 's/^/u-/' | LIFT_DATABASE_URL='%s' %s assign --units - "
             "--attr device=tablet",
             conninfo, pgtest_bin("liftctl"));
    const char *from_db = run(cmd, &status);
    cr_assert_eq(status, 0);
    cr_assert_str_eq(from_db, from_file);
    cr_assert(strstr(from_file, "{\"unit\":\"u-1\",\"assignments\":["), "%.200s", from_file);
    free(from_file);

    snprintf(cmd, sizeof cmd, "LIFT_DATABASE_URL='%s' %s assign --unit qa --experiment recs",
             conninfo, pgtest_bin("liftctl"));
    cr_assert_str_eq(run(cmd, &status),
                     "{\"unit\":\"qa\",\"assignments\":[{\"experiment\":\"recs\","
                     "\"variant\":\"control\",\"variant_index\":0,\"payload\":{\"recs\":"
                     "\"generic\"},\"override\":true}]}\n");
    snprintf(cmd, sizeof cmd, "LIFT_DATABASE_URL='%s' %s assign --unit qa --experiment nope 2>&1",
             conninfo, pgtest_bin("liftctl"));
    cr_assert_str_eq(run(cmd, &status), "liftctl assign: unknown experiment 'nope'\n");
    cr_assert_eq(status, 2);
    lift_db_close(db);
}
