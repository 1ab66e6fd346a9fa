/* The naming rules for what product teams name, in one place. The database enforces the
 * same rules (sql/migrations: lift.check_key and the attribute checks), and a test runs
 * both on the same inputs.
 *  - keys of experiments, variants, layers and audiences: 1 to 64 ASCII letters, digits,
 *    '_', '.' or '-', starting with a letter or a digit;
 *  - attribute names (audience conditions, attr.<name>, report segments): 1 to 64 ASCII
 *    letters, digits, '_', '.' or '-'. */
#ifndef LIFT_NAMES_H
#define LIFT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define LIFT_NAME_MAX 64

/* How the rules read in messages. */
#define LIFT_KEY_RULE  "1 to 64 letters, digits, '_', '.' or '-'"
#define LIFT_ATTR_RULE "1 to 64 letters, digits, '_', '.' or '-'"

bool lift_key_valid(const char *s, size_t n);
bool lift_attr_name_valid(const char *s, size_t n);

#endif
