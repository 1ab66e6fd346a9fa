/* Unit-id pseudonyms: HMAC-SHA256 under a secret key, hex-encoded, so exposures and events
 * of one shopper still join while the stored id reveals nothing without the key. */
#ifndef LIFT_PSEUDO_H
#define LIFT_PSEUDO_H

#include <stddef.h>

#include "lift/err.h"

#define LIFT_PSEUDO_LEN 64 /* hex characters */

typedef struct lift_pseudo lift_pseudo;

/* Sets *out to a new pseudonymizer for key (caller frees with lift_pseudo_free), or to NULL
 * when key is NULL or empty, meaning ids are stored as given. LIFT_ENOMEM (and *out NULL)
 * when it cannot be allocated: a caller that was asked for pseudonyms must then not go on
 * with raw ids. */
int lift_pseudo_new(const char *key, lift_pseudo **out, lift_err *err);
void lift_pseudo_free(lift_pseudo *p);

/* Writes the pseudonym of unit[0..len) as 64 hex characters plus NUL. */
void lift_pseudo_unit(const lift_pseudo *p, const char *unit, size_t len,
                      char out[LIFT_PSEUDO_LEN + 1]);

#endif
