/* LIFT_SHARDS: the fact shards' URLs, parsed and checked with libpq's own parser. */
#include "lift/shard_list.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/db.h"
#include "lift/locate.h"
#include "lift/xalloc.h"

bool lift_shard_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 31 || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return false;
    return true;
}

static bool is_url(const char *s)
{
    return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

void lift_shard_list_fini(lift_shard_list *list)
{
    for (int i = 0; i < list->n; i++) {
        free(list->items[i].url);
        free(list->items[i].public_url);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

/* Checks one entry (k is its 1-based position) and fills e. */
static int parse_entry(const char *entry, int k, lift_shard_entry *e, lift_err *err)
{
    char shown[1024];
    lift_db_redact(entry, shown, sizeof shown);
    const char *url = entry;
    const char *eq = strchr(entry, '=');
    if (!is_url(entry) && eq && is_url(eq + 1)) {
        size_t n = (size_t)(eq - entry);
        if (n >= sizeof e->name)
            n = sizeof e->name - 1;
        memcpy(e->name, entry, n);
        e->name[n] = '\0';
        if (!lift_shard_name_valid(e->name) || (size_t)(eq - entry) >= sizeof e->name)
            return lift_err_set(err, LIFT_EINVAL,
                                "LIFT_SHARDS entry %d (%s): shard name '%.*s' is not valid: a "
                                "lower-case letter, then up to 30 lower-case letters, digits or _",
                                k, shown, (int)(eq - entry), entry);
        url = eq + 1;
    } else if (!is_url(entry)) {
        return lift_err_set(err, LIFT_EINVAL,
                            "LIFT_SHARDS entry %d (%s): not a postgresql:// URL (entries are "
                            "URLs or NAME=URL, separated by spaces)",
                            k, shown);
    } else {
        snprintf(e->name, sizeof e->name, "shard%d", k);
    }
    if (strstr(url + 1, ",postgres://") || strstr(url + 1, ",postgresql://"))
        return lift_err_set(err, LIFT_EINVAL,
                            "LIFT_SHARDS entry %d (%s): two URLs joined by a comma; separate "
                            "entries by spaces",
                            k, shown);
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    if (!opts) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", why ? why : "out of memory");
        reason[strcspn(reason, "\n")] = '\0';
        PQfreemem(why);
        return lift_err_set(err, LIFT_EINVAL, "LIFT_SHARDS entry %d (%s): %s", k, shown, reason);
    }
    const char *dbname = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
            dbname = o->val;
    int rc = dbname ? LIFT_OK
                    : lift_err_set(err, LIFT_EINVAL,
                                   "LIFT_SHARDS entry %d (%s): names no database (add /DBNAME "
                                   "after the host)",
                                   k, shown);
    PQconninfoFree(opts);
    if (rc != LIFT_OK)
        return rc;
    char pub[2048];
    if (lift_conninfo_as(url, NULL, pub, sizeof pub, err) != LIFT_OK)
        return lift_err_set(err, LIFT_EINVAL, "LIFT_SHARDS entry %d (%s): does not parse", k,
                            shown);
    e->url = lift_xstrdup(url);
    e->public_url = lift_xstrdup(pub);
    return LIFT_OK;
}

int lift_shard_list_parse(const char *text, lift_shard_list *list, lift_err *err)
{
    list->n = 0;
    list->items = lift_xcalloc(LIFT_SHARDS_MAX, sizeof *list->items);
    const char *p = text ? text : "";
    static const char SPACE[] = " \t\r\n";
    int k = 0;
    for (;;) {
        p += strspn(p, SPACE);
        if (!*p)
            break;
        size_t n = strcspn(p, SPACE);
        if (++k > LIFT_SHARDS_MAX)
            return lift_err_set(err, LIFT_EINVAL, "LIFT_SHARDS lists more than %d shards",
                                LIFT_SHARDS_MAX);
        char *entry = lift_xmalloc(n + 1);
        memcpy(entry, p, n);
        entry[n] = '\0';
        p += n;
        lift_shard_entry *e = &list->items[list->n];
        int rc = parse_entry(entry, k, e, err);
        free(entry);
        if (rc != LIFT_OK) {
            free(e->url);
            free(e->public_url);
            memset(e, 0, sizeof *e);
            return rc;
        }
        list->n++;
        for (int j = 0; j < list->n - 1; j++) {
            if (!strcmp(list->items[j].name, e->name))
                return lift_err_set(err, LIFT_EINVAL,
                                    "LIFT_SHARDS entries %d and %d are both named %s", j + 1, k,
                                    e->name);
            if (!strcmp(list->items[j].public_url, e->public_url))
                return lift_err_set(err, LIFT_EINVAL,
                                    "LIFT_SHARDS entries %d and %d name the same database (%s)",
                                    j + 1, k, e->public_url);
        }
    }
    if (list->n == 0)
        return lift_err_set(err, LIFT_EINVAL,
                            "LIFT_SHARDS is empty: list the shards' PostgreSQL URLs, separated "
                            "by spaces");
    return LIFT_OK;
}
