/* The experiment config held in the database: lift.config_document(), then the model's
 * JSON loader (core/config.c), so a file and the database give the same snapshot. */
#include "lift/config_db.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_DOCUMENT[] = "SELECT lift.config_document()::text AS document";

char *lift_config_fetch_db(lift_db *db, size_t *len, lift_err *err)
{
    PGresult *r = lift_db_exec(db, SQL_DOCUMENT, 0, NULL, NULL, err);
    if (!r)
        return NULL;
    int col = lift_db_col(r, "document");
    *len = (size_t)PQgetlength(r, 0, col);
    char *text = malloc(*len + 1);
    if (text)
        memcpy(text, PQgetvalue(r, 0, col), *len + 1);
    else
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
    PQclear(r);
    return text;
}

lift_config *lift_config_load_db(lift_db *db, lift_err *err)
{
    size_t len;
    char *text = lift_config_fetch_db(db, &len, err);
    if (!text)
        return NULL;
    lift_config *cfg = lift_config_parse(text, len, err);
    if (!cfg)
        lift_err_prefix(err, "config in the database");
    free(text);
    return cfg;
}
