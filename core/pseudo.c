/* HMAC-SHA256 pseudonyms of unit ids (OpenSSL libcrypto). */
#include "lift/pseudo.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "lift/text.h"

struct lift_pseudo {
    size_t len;
    unsigned char key[]; /* any length: HMAC hashes keys longer than a block */
};

int lift_pseudo_new(const char *key, lift_pseudo **out, lift_err *err)
{
    size_t n = key ? strlen(key) : 0;
    *out = NULL;
    if (n == 0)
        return LIFT_OK;
    lift_pseudo *p = malloc(sizeof *p + n);
    if (!p)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory for the pseudonym key");
    p->len = n;
    memcpy(p->key, key, n);
    *out = p;
    return LIFT_OK;
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
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), p->key, (int)p->len, (const unsigned char *)unit, len, mac, &n);
    lift_hex_encode(mac, 32, out);
}
