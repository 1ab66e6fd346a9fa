/* Allocation that aborts on failure, for the batch tools only (see lift/xalloc.h). */
#include "lift/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *checked(void *p)
{
    if (!p) {
        fputs("lift: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *lift_xmalloc(size_t size)
{
    return checked(malloc(size ? size : 1));
}

void *lift_xcalloc(size_t n, size_t size)
{
    return checked(calloc(n ? n : 1, size ? size : 1));
}

void *lift_xrealloc(void *p, size_t size)
{
    return checked(realloc(p, size ? size : 1));
}

char *lift_xstrdup(const char *s)
{
    return checked(strdup(s ? s : ""));
}
