/* Lookup in the compiled-in table of SQL files. */
#include "lift/sqlfiles.h"

#include <string.h>

const char *lift_sql_text(const char *name)
{
    for (size_t i = 0; i < lift_sql_nfiles; i++)
        if (strcmp(lift_sql_files[i].name, name) == 0)
            return lift_sql_files[i].text;
    return NULL;
}
