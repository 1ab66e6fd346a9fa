/* The naming rules of keys and attribute names (lift/names.h). */
#include "lift/names.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

bool lift_attr_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > LIFT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

bool lift_key_valid(const char *s, size_t n)
{
    return lift_attr_name_valid(s, n) && s[0] != '_' && s[0] != '.' && s[0] != '-';
}
