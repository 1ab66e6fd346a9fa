/* API keys for liftd: configured as plain keys or as "sha256:<hex>" digests, kept only as
 * SHA-256 digests, checked in constant time, never logged. */
#ifndef LIFT_KEYS_H
#define LIFT_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

typedef struct lift_keys lift_keys;

/* Parses a comma-separated list (empty: no keys). Plain keys are hashed at once and the
 * text is not kept. LIFT_EINVAL for a malformed digest or an empty entry. */
lift_keys *lift_keys_new(const char *spec, lift_err *err);
void lift_keys_free(lift_keys *k); /* NULL is a no-op */
size_t lift_keys_count(const lift_keys *k);

/* True when header is "Bearer <key>" for a configured key. The time taken does not depend
 * on which key matched or how much of it did. */
bool lift_keys_check(const lift_keys *k, const char *header);

/* SHA-256 of s[0..n). */
void lift_keys_sha256(const char *s, size_t n, unsigned char out[32]);

/* Writes "sha256:<64 hex>" of key, for configuration files. */
void lift_keys_digest(const char *key, char out[72]);

#endif
