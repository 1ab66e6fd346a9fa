/* An SQL lexer just deep enough to find statement ends: '...' and E'...' strings, "..."
 * identifiers, $tag$...$tag$ bodies, -- and nested / * * / comments. */
#include "sqlsplit.h"

#include <stdbool.h>
#include <string.h>

#include "lift/xalloc.h"

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* The length of a dollar-quote tag starting at p ("$$", "$body$"), or 0 if none. */
static size_t dollar_tag(const char *p)
{
    if (p[0] != '$')
        return 0;
    size_t i = 1;
    if (p[i] >= '0' && p[i] <= '9') /* $1 is a parameter */
        return 0;
    while (p[i] && p[i] != '$' && ident_char(p[i]))
        i++;
    return p[i] == '$' ? i + 1 : 0;
}

/* Skips from p (just past an opening quote q) to past the closing one. */
static const char *skip_quoted(const char *p, char q, bool backslash, int *line)
{
    for (; *p; p++) {
        if (*p == '\n')
            (*line)++;
        if (backslash && *p == '\\' && p[1]) {
            p++;
            if (*p == '\n')
                (*line)++;
            continue;
        }
        if (*p == q) {
            if (p[1] == q) { /* '' or "" inside */
                p++;
                continue;
            }
            return p + 1;
        }
    }
    return p;
}

size_t cli_sql_split(const char *script, cli_stmt **out)
{
    size_t n = 0, cap = 16;
    cli_stmt *v = lift_xmalloc(cap * sizeof *v);
    const char *p = script, *start = NULL;
    int line = 1, start_line = 0;
    for (;;) {
        char c = *p;
        if (c == '\0' || c == ';') {
            if (start) {
                if (n == cap)
                    v = lift_xrealloc(v, (cap *= 2) * sizeof *v);
                v[n++] = (cli_stmt){start, (size_t)(p - start), start_line};
                start = NULL;
            }
            if (c == '\0')
                break;
            p++;
            continue;
        }
        if (c == '\n') {
            line++;
            p++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p++;
            continue;
        }
        if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (c == '/' && p[1] == '*') {
            int depth = 0;
            do {
                if (*p == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (*p == '*' && p[1] == '/') {
                    depth--;
                    p += 2;
                } else {
                    line += *p == '\n';
                    p++;
                }
            } while (*p && depth > 0);
            continue;
        }
        if (!start) {
            start = p;
            start_line = line;
        }
        size_t tag;
        if (c == '\'') {
            bool escapes = p > script && (p[-1] == 'E' || p[-1] == 'e') &&
                           (p - 1 == script || !ident_char(p[-2]));
            p = skip_quoted(p + 1, '\'', escapes, &line);
        } else if (c == '"') {
            p = skip_quoted(p + 1, '"', false, &line);
        } else if ((tag = dollar_tag(p)) > 0 && (p == script || !ident_char(p[-1]))) {
            const char *body = p + tag, *end = body;
            while (*end && strncmp(end, p, tag) != 0)
                end++;
            for (const char *q = body; q < end; q++)
                line += *q == '\n';
            p = *end ? end + tag : end;
        } else {
            p++;
        }
    }
    *out = v;
    return n;
}

void cli_sql_where(const cli_stmt *stmt, int position, int *line, int *column)
{
    *line = stmt->line;
    *column = 1;
    const unsigned char *s = (const unsigned char *)stmt->text;
    int ch = 1;
    for (size_t i = 0; i < stmt->len && ch < position; i++) {
        if ((s[i] & 0xC0) == 0x80) /* a UTF-8 continuation byte: not a new character */
            continue;
        ch++;
        if (s[i] == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}
