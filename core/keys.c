/* API keys as SHA-256 digests with constant-time comparison (OpenSSL libcrypto). */
#include "lift/keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/text.h"

struct lift_keys {
    size_t n;
    unsigned char digest[][32];
};

void lift_keys_sha256(const char *s, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    EVP_Digest(s, n, out, &len, EVP_sha256(), NULL);
}

lift_keys *lift_keys_new(const char *spec, lift_err *err)
{
    size_t n = *spec ? 1 : 0;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    lift_keys *k = calloc(1, sizeof *k + n * 32);
    if (!k) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    const char *p = spec;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            lift_err_set(err, LIFT_EINVAL, "api keys: entry %zu is empty", i + 1);
            lift_keys_free(k);
            return NULL;
        }
        if (len > 7 && strncmp(p, "sha256:", 7) == 0) {
            bool ok = len == 7 + 64;
            for (size_t b = 0; ok && b < 32; b++) {
                int hi = lift_hex_value(p[7 + 2 * b]), lo = lift_hex_value(p[8 + 2 * b]);
                ok = hi >= 0 && lo >= 0;
                k->digest[i][b] = (unsigned char)(hi << 4 | lo);
            }
            if (!ok) {
                lift_err_set(err, LIFT_EINVAL, "api keys: entry %zu: sha256: needs 64 hex digits",
                             i + 1);
                lift_keys_free(k);
                return NULL;
            }
        } else {
            lift_keys_sha256(p, len, k->digest[i]);
        }
        k->n++;
        p += len + (p[len] == ',');
    }
    return k;
}

void lift_keys_free(lift_keys *k)
{
    if (k)
        OPENSSL_cleanse(k->digest, k->n * 32);
    free(k);
}

size_t lift_keys_count(const lift_keys *k)
{
    return k ? k->n : 0;
}

bool lift_keys_check(const lift_keys *k, const char *header)
{
    if (!k || !header || strncmp(header, "Bearer ", 7) != 0)
        return false;
    unsigned char d[32];
    lift_keys_sha256(header + 7, strlen(header + 7), d);
    int found = 0;
    for (size_t i = 0; i < k->n; i++) /* every key, no early exit */
        found |= CRYPTO_memcmp(d, k->digest[i], 32) == 0;
    return found;
}

void lift_keys_digest(const char *key, char out[72])
{
    unsigned char d[32];
    lift_keys_sha256(key, strlen(key), d);
    memcpy(out, "sha256:", 7);
    lift_hex_encode(d, 32, out + 7);
}
