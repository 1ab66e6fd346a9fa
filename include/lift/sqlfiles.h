/* The SQL files under sql/ (migrations, analysis queries), compiled into the binaries. */
#ifndef LIFT_SQLFILES_H
#define LIFT_SQLFILES_H

#include <stddef.h>

typedef struct lift_sql_file {
    const char *name; /* relative to sql/, e.g. "migrations/0001_schema.sql" */
    const char *text; /* NUL-terminated file contents */
} lift_sql_file;

/* Sorted by name, so migrations appear in the order they apply. */
extern const lift_sql_file lift_sql_files[];
extern const size_t lift_sql_nfiles;

/* Returns the text of sql/<name>, or NULL when no such file was built in. */
const char *lift_sql_text(const char *name);

#endif
