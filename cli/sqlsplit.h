/* Splitting an SQL file into its statements, with the line each starts on, the way psql
 * reads a file: semicolons inside quotes, dollar quotes and comments do not count. */
#ifndef LIFT_CLI_SQLSPLIT_H
#define LIFT_CLI_SQLSPLIT_H

#include <stddef.h>

typedef struct cli_stmt {
    const char *text; /* borrowed from the script; from its first token to before the ';' */
    size_t len;
    int line; /* 1-based line of its first token */
} cli_stmt;

/* Splits script into statements (comments-only and empty ones are dropped). Returns their
 * number and sets *out to a new array the caller frees. A statement left open at the end
 * (no ';', or an unterminated quote or comment) is returned as it is; the server then
 * says what is wrong with it. */
size_t cli_sql_split(const char *script, cli_stmt **out);

/* The 1-based line and column of character `position` (1-based, in characters as
 * PostgreSQL counts them, not bytes) of stmt, in the file. */
void cli_sql_where(const cli_stmt *stmt, int position, int *line, int *column);

#endif
