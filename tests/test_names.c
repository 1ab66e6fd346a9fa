/* The naming rules (core/names.c, lift/names.h) on hand-picked inputs, and the same inputs
 * through the database's own rules (sql/migrations/0001_schema.sql: lift.check_key for keys,
 * the attribute-name check of lift.audience_conditions), which must agree. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lift/names.h"
#include "support/pgtest.h"

typedef struct name_case {
    const char *s;
    bool key, attr; /* valid as a key, as an attribute name */
} name_case;

static const name_case CASES[] = {
    {"a", true, true},
    {"Z", true, true},
    {"0", true, true},
    {"recs_v2.1-b", true, true},
    {"x_", true, true},
    {"x-", true, true},
    {"x.", true, true},
    {"_x", false, true},
    {".x", false, true},
    {"-x", false, true},
    {"_", false, true},
    {"..", false, true},
    {"", false, false},
    {"a b", false, false},
    {" a", false, false},
    {"a ", false, false},
    {"a\n", false, false},
    {"a\t", false, false},
    {"a/b", false, false},
    {"a:b", false, false},
    {"a+b", false, false},
    {"a'b", false, false},
    {"a\"b", false, false},
    {"a\\b", false, false},
    {"a%b", false, false},
    {"a$", false, false},
    {"^a", false, false},
    {"[a]", false, false},
    {"a*", false, false},
    {"caf\xc3\xa9", false, false},   /* é */
    {"\xc3\xa9", false, false},      /* é alone */
    {"\xef\xbc\xa1", false, false},  /* fullwidth A */
    {"\xd9\xa1", false, false},      /* Arabic-Indic digit one */
    {"\xc4\xb1", false, false},      /* dotless i: a letter in Turkish case rules */
    {"K\xe2\x84\xaa", false, false}, /* Kelvin sign, which folds to 'k' */
};

static const char *long_name(int n)
{
    static char s[80];
    memset(s, 'k', (size_t)n);
    s[n] = '\0';
    return s;
}

Test(names_rules, on_hand_picked_inputs)
{
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const name_case *c = &CASES[i];
        cr_assert_eq(lift_key_valid(c->s, strlen(c->s)), c->key, "key \"%s\"", c->s);
        cr_assert_eq(lift_attr_name_valid(c->s, strlen(c->s)), c->attr, "attribute \"%s\"", c->s);
    }
    cr_assert(lift_key_valid(long_name(64), 64));
    cr_assert(lift_attr_name_valid(long_name(64), 64));
    cr_assert_not(lift_key_valid(long_name(65), 65));
    cr_assert_not(lift_attr_name_valid(long_name(65), 65));
    /* Lengths are honoured: a NUL inside, or bytes past n, count as they are. */
    cr_assert_not(lift_key_valid("a\0b", 3));
    cr_assert_not(lift_attr_name_valid("a\0b", 3));
    cr_assert(lift_key_valid("ab c", 2));
    cr_assert_not(lift_key_valid("ab", 0));
}

/* Whether the database accepts s as a key (lift.check_key) and as an attribute name (a
 * condition row, checked by its trigger). */
static bool db_accepts(lift_db *db, const char *sql, const char *s)
{
    lift_err err;
    const char *params[] = {s};
    int rc = lift_db_run(db, sql, 1, params, &err);
    if (rc != LIFT_OK)
        cr_assert_str_eq(lift_db_sqlstate(db), "23514", "\"%s\": not a check violation: %s", s,
                         err.msg);
    return rc == LIFT_OK;
}

static void agree(lift_db *db, const char *s)
{
    static const char KEY[] = "SELECT lift.check_key('experiment', $1)";
    static const char ATTR[] = "INSERT INTO lift.audience_conditions (audience, attribute, op, "
                               "value) VALUES ('names', $1, 'exists', 'true')";
    size_t n = strlen(s);
    cr_assert_eq(db_accepts(db, KEY, s), lift_key_valid(s, n), "key \"%s\": SQL and C disagree", s);
    cr_assert_eq(db_accepts(db, ATTR, s), lift_attr_name_valid(s, n),
                 "attribute \"%s\": SQL and C disagree", s);
}

Test(names_rules, agree_with_the_database)
{
    lift_db *db = pgtest_db(NULL, 0);
    pgtest_ok(db, "INSERT INTO lift.audiences (key) VALUES ('names')");
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++)
        agree(db, CASES[i].s);
    for (int n = 62; n <= 66; n++)
        agree(db, long_name(n));
    /* 64 characters but more bytes: both count the same way only if both refuse it. */
    char mixed[90];
    snprintf(mixed, sizeof mixed, "%.63s\xc3\xa9", long_name(63));
    agree(db, mixed);
    /* Every single ASCII character but NUL (which text cannot hold), first and later. */
    for (int c = 1; c < 128; c++) {
        char s[3] = {(char)c, 0, 0}, t[3] = {'a', (char)c, 0};
        agree(db, s);
        agree(db, t);
    }
    lift_db_close(db);
}
