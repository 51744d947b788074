/* reqid: random and content-derived request ids (see reqid.h). */
#include "reqid.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

void reqid_random(char out[REQID_SIZE])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

static void hex(const unsigned char *md, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[2 * len] = '\0';
}

bool reqid_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    out[0] = '\0';
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return false;
    hex(md, mdlen, out);
    return true;
}

void reqid_derived(char out[REQID_SIZE], const char *prefix, const char *const parts[],
                   size_t nparts)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char digest[65];
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

    for (size_t i = 0; ok && i < nparts; i++)
        ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        /* Out of memory in OpenSSL: a random id is still a valid, if not
         * repeatable, key. */
        reqid_random(out);
        return;
    }
    hex(md, 20, digest);
    snprintf(out, REQID_SIZE, "%.16s-%.40s", prefix, digest);
}
