/* HMAC-SHA256 pseudonyms of unit ids (OpenSSL libcrypto). */
#include "lift/pseudo.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

struct lift_pseudo {
    size_t len;
    unsigned char key[]; /* any length: HMAC hashes keys longer than a block */
};

lift_pseudo *lift_pseudo_new(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0)
        return NULL;
    lift_pseudo *p = malloc(sizeof *p + n);
    if (p) {
        p->len = n;
        memcpy(p->key, key, n);
    }
    return p;
}

void lift_pseudo_free(lift_pseudo *p)
{
    if (p)
        OPENSSL_cleanse(p, sizeof *p + p->len); /* the key is a secret */
    free(p);
}

void lift_pseudo_unit(const lift_pseudo *p, const char *unit, size_t len,
                      char out[LIFT_PSEUDO_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), p->key, (int)p->len, (const unsigned char *)unit, len, mac, &n);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[LIFT_PSEUDO_LEN] = '\0';
}
