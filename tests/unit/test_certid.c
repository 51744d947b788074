/* certid: the fingerprint that names an office (SHA-256 of the DER, lower-case
 * hex) and the subject CN kept for people, on certificates made here. */
#include "certid.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

/* One subject entry: CN (or another field) with bytes of an ASN.1 type. */
struct entry {
    int nid;           /* NID_commonName, NID_organizationName */
    int type;          /* MBSTRING_UTF8 (OpenSSL picks the type) or V_ASN1_BMPSTRING (raw) */
    const char *bytes; /* UTF-8, or UTF-16BE for BMPString */
    int len;           /* -1: strlen(bytes) */
};

/* A self-signed P-256 certificate with the given subject entries (at most 3,
 * ended by nid 0). The caller frees it. */
static X509 *make_cert(const struct entry *subject, long serial)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    cr_assert(key != NULL && x != NULL);
    cr_assert(X509_set_version(x, X509_VERSION_3));
    cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
    cr_assert_not_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    cr_assert_not_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    X509_NAME *name = X509_get_subject_name(x);
    for (const struct entry *e = subject; e->nid != 0; e++)
        cr_assert(X509_NAME_add_entry_by_NID(name, e->nid, e->type, (const unsigned char *)e->bytes,
                                             e->len, -1, 0),
                  "subject entry %d", (int)(e - subject));
    cr_assert(X509_set_issuer_name(x, name));
    cr_assert(X509_set_pubkey(x, key));
    cr_assert_gt(X509_sign(x, key, EVP_sha256()), 0);
    EVP_PKEY_free(key);
    return x;
}

static X509 *cert_with_cn(const char *cn)
{
    const struct entry subject[] = {{NID_commonName, MBSTRING_UTF8, cn, -1}, {0, 0, NULL, 0}};
    return make_cert(subject, 1);
}

/* SHA-256 of the DER encoding, computed without certid, in lower-case hex. */
static void independent_fingerprint(X509 *x, char hex[65])
{
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int len = i2d_X509(x, &der);
    cr_assert_gt(len, 0);
    cr_assert(EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL));
    cr_assert_eq(mdlen, 32);
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    OPENSSL_free(der);
}

Test(certid, fingerprint_is_sha256_of_der_in_lower_hex)
{
    X509 *a = cert_with_cn("Côte d'Ivoire office");
    X509 *b = cert_with_cn("Côte d'Ivoire office"); /* same subject, another key */
    char fa[CERTID_HEX_LEN + 1], fb[CERTID_HEX_LEN + 1], want[65];

    cr_assert_eq(CERTID_HEX_LEN, 64);
    certid_fingerprint(a, fa);
    independent_fingerprint(a, want);
    cr_assert_str_eq(fa, want);
    cr_assert_eq(strlen(fa), 64);
    cr_assert_eq(strspn(fa, "0123456789abcdef"), 64, "not lower-case hex: %s", fa);
    /* The identity is the certificate, not its subject. */
    certid_fingerprint(b, fb);
    independent_fingerprint(b, want);
    cr_assert_str_eq(fb, want);
    cr_assert_str_neq(fa, fb);
    /* Stable: the same certificate always gives the same string. */
    certid_fingerprint(a, fb);
    cr_assert_str_eq(fa, fb);
    X509_free(a);
    X509_free(b);
}

/* The CN as UTF-8, cut on a character boundary to fit cap, controls masked. */
Test(certid, subject_cn_cases)
{
    static const struct {
        const char *cn; /* UTF-8 given to OpenSSL */
        size_t cap;
        const char *want;
    } cases[] = {
        {"Vigil central office", 256, "Vigil central office"},
        {"Côte d'Ivoire office", 256, "Côte d'Ivoire office"},
        {"Côte d'Ivoire office", 22, "Côte d'Ivoire office"}, /* 21 bytes + NUL fit */
        {"Côte d'Ivoire office", 21, "Côte d'Ivoire offic"},
        /* "ô" is two bytes (C3 B4): never half of it. */
        {"Côte", 4, "Cô"},
        {"Côte", 3, "C"},
        {"Côte", 2, "C"},
        {"Côte", 1, ""},
        /* Three bytes (E2 82 AC) and four (F0 9D 84 9E). */
        {"a€b", 5, "a€"},
        {"a€b", 4, "a"},
        {"a€b", 3, "a"},
        {"x𝄞y", 6, "x𝄞"},
        {"x𝄞y", 5, "x"},
        {"x𝄞y", 3, "x"},
        /* Controls would break a log line or a table. */
        {"tab\there", 256, "tab?here"},
        {"line\nbreak\r", 256, "line?break?"},
        {"del\x7f", 256, "del?"},
        {"\x1b[31mred", 256, "?[31mred"},
        {"ctrl\x01\x02", 7, "ctrl??"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X509 *x = cert_with_cn(cases[i].cn);
        char out[300];
        memset(out, 'Z', sizeof(out));
        certid_subject_cn(x, out, cases[i].cap);
        cr_assert_str_eq(out, cases[i].want, "case %zu: \"%s\" in %zu bytes", i, cases[i].cn,
                         cases[i].cap);
        /* Nothing written past cap. */
        cr_assert_eq(out[cases[i].cap], 'Z', "case %zu wrote past cap", i);
        X509_free(x);
    }
}

Test(certid, subject_cn_zero_cap_writes_nothing)
{
    X509 *x = cert_with_cn("anything");
    char out[4] = "ZZZ";
    certid_subject_cn(x, out, 0);
    cr_assert_str_eq(out, "ZZZ");
    X509_free(x);
}

/* Subjects built entry by entry: which CN, and other string types. */
Test(certid, subject_cn_from_other_subjects)
{
    /* "Côte" and "A\0B" in UTF-16BE. */
    static const char bmp_cote[] = {0, 'C', 0, (char)0xf4, 0, 't', 0, 'e'};
    static const char bmp_nul[] = {0, 'A', 0, 0, 0, 'B'};
    static const struct {
        struct entry subject[3];
        const char *want;
    } cases[] = {
        {{{NID_organizationName, MBSTRING_UTF8, "Vigil", -1}, {0, 0, NULL, 0}}, ""},
        {{{NID_organizationName, MBSTRING_UTF8, "Vigil", -1},
          {NID_commonName, MBSTRING_UTF8, "first", -1},
          {NID_commonName, MBSTRING_UTF8, "second", -1}},
         "first"},
        {{{NID_commonName, V_ASN1_BMPSTRING, bmp_cote, sizeof(bmp_cote)}, {0, 0, NULL, 0}}, "Côte"},
        /* A NUL inside the CN must not cut it silently or pass through. */
        {{{NID_commonName, V_ASN1_BMPSTRING, bmp_nul, sizeof(bmp_nul)}, {0, 0, NULL, 0}}, "A?B"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct entry subject[4] = {{0, 0, NULL, 0}};
        size_t n = 0;
        for (; n < 3 && cases[i].subject[n].nid != 0; n++)
            subject[n] = cases[i].subject[n];
        X509 *x = make_cert(subject, (long)i + 1);
        char out[64] = "stale";
        certid_subject_cn(x, out, sizeof(out));
        cr_assert_str_eq(out, cases[i].want, "case %zu", i);
        X509_free(x);
    }
}
