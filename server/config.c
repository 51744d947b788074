/* config: the table of settings and the code driven from it (INI through
 * inih, overrides, defaults, validation, documentation). */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define K(field) offsetof(struct config, field)
#define MAXI     INT_MAX

/* clang-format off */
const struct config_key config_keys[] = {
    {"listen", CONFIG_STRING, K(listen), "127.0.0.1:7443", false, 0, 0,
     "host:port of the mutual-TLS gRPC listener (port 0 picks a free port)"},
    {"public_listen", CONFIG_STRING, K(public_listen), "", false, 0, 0,
     "host:port of a listener that asks for no client certificate (anonymous role); empty = off"},
    {"tls_cert_file", CONFIG_STRING, K(tls_cert_file), "", true, 0, 0,
     "server certificate chain, PEM"},
    {"tls_key_file", CONFIG_STRING, K(tls_key_file), "", true, 0, 0,
     "server private key, PEM"},
    {"tls_ca_file", CONFIG_STRING, K(tls_ca_file), "", true, 0, 0,
     "CA certificates that client certificates must chain to, PEM"},
    {"tls_ciphers", CONFIG_STRING, K(tls_ciphers), "ECDHE+AESGCM:ECDHE+CHACHA20", true, 0, 0,
     "TLS 1.2 cipher list (OpenSSL syntax); forward-secret AEAD only by default"},
    {"tls_ciphersuites", CONFIG_STRING, K(tls_ciphersuites),
     "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", true, 0, 0,
     "TLS 1.3 cipher suites"},
    {"db", CONFIG_STRING, K(db), "", false, 0, 0,
     "libpq conninfo of the service role (PG* environment variables fill what it leaves out)"},
    {"db_owner", CONFIG_STRING, K(db_owner), "", false, 0, 0,
     "libpq conninfo of the schema owner, used for migrations; empty = same as db"},
    {"db_pool_size", CONFIG_INT, K(db_pool_size), "4", false, 1, 256,
     "PostgreSQL connections in the request pool"},
    {"db_reconnect_min_ms", CONFIG_INT, K(db_reconnect_min_ms), "100", true, 10, 60000,
     "first delay before reconnecting a lost database connection"},
    {"db_reconnect_max_ms", CONFIG_INT, K(db_reconnect_max_ms), "5000", true, 10, 600000,
     "cap of the exponential reconnect backoff"},
    {"migrate", CONFIG_BOOL, K(migrate), "true", false, 0, 0,
     "apply pending migrations at start-up (as db_owner)"},
    {"cache_max_bytes", CONFIG_INT, K(cache_max_bytes), "67108864", false, 0, 1073741824,
     "memory for cached published reads (rankings, aggregates, cards); 0 = no cache"},
    {"exchange_max_streams", CONFIG_INT, K(exchange_max_streams), "16", true, 1, 10000,
     "exports and followed change feeds at once, each with a database connection of its "
     "own outside the pool; more get RESOURCE_EXHAUSTED"},
    {"max_connections", CONFIG_INT, K(max_connections), "1024", true, 1, 1000000,
     "open client connections, both listeners together; more are closed at accept"},
    {"max_concurrent_streams", CONFIG_INT, K(max_concurrent_streams), "100", true, 1, 10000,
     "concurrent HTTP/2 streams (calls) per connection"},
    {"max_header_list_size", CONFIG_INT, K(max_header_list_size), "16384", true, 1024, 1048576,
     "bytes of request headers per call"},
    {"max_message_size", CONFIG_INT, K(max_message_size), "4194304", true, 1024, 268435456,
     "bytes of one gRPC message; larger requests get RESOURCE_EXHAUSTED"},
    {"handshake_timeout_ms", CONFIG_INT, K(handshake_timeout_ms), "10000", true, 100, 600000,
     "time from accept to a completed TLS handshake and HTTP/2 preface"},
    {"idle_timeout_ms", CONFIG_INT, K(idle_timeout_ms), "300000", true, 100, 86400000,
     "a connection with no call in progress and no bytes received for this long is closed"},
    {"shutdown_timeout_ms", CONFIG_INT, K(shutdown_timeout_ms), "10000", true, 0, 600000,
     "after SIGTERM, how long in-flight calls may run before connections are closed"},
    {"log_level", CONFIG_STRING, K(log_level), "info", true, 0, 0,
     "error | warn | info | debug"},
    {"log_access", CONFIG_BOOL, K(log_access), "true", true, 0, 0,
     "one log line per RPC: method, status, duration, office, peer"},
    {NULL, 0, 0, NULL, false, 0, 0, NULL},
};
/* clang-format on */

static const struct config_key *find_key(const char *name)
{
    for (const struct config_key *k = config_keys; k->name; k++) {
        if (strcmp(k->name, name) == 0)
            return k;
    }
    return NULL;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool config_set(struct config *cfg, const char *key, const char *value, char *err, size_t cap)
{
    const struct config_key *k = find_key(key);
    char *field;

    if (k == NULL) {
        snprintf(err, cap, "unknown setting \"%s\"", key);
        return false;
    }
    field = (char *)cfg + k->offset;
    switch (k->type) {
    case CONFIG_STRING: {
        char **s = (char **)field;
        free(*s);
        *s = xstrdup(value);
        return true;
    }
    case CONFIG_INT: {
        char *end;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || n < k->min || n > k->max) {
            snprintf(err, cap, "setting \"%s\": \"%s\" is not an integer in %d..%d", key, value,
                     k->min, k->max);
            return false;
        }
        *(int *)field = (int)n;
        return true;
    }
    case CONFIG_BOOL:
        if (!parse_bool(value, (bool *)field)) {
            snprintf(err, cap, "setting \"%s\": \"%s\" is not a boolean (true/false)", key, value);
            return false;
        }
        return true;
    }
    return false;
}

void config_init(struct config *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (const struct config_key *k = config_keys; k->name; k++) {
        if (!config_set(cfg, k->name, k->def, err, sizeof(err))) {
            /* A bad default is a programming error caught by the first test run. */
            fprintf(stderr, "bad default: %s\n", err);
            abort();
        }
    }
}

void config_clear(struct config *cfg)
{
    for (const struct config_key *k = config_keys; k->name; k++) {
        if (k->type == CONFIG_STRING)
            free(*(char **)((char *)cfg + k->offset));
    }
    memset(cfg, 0, sizeof(*cfg));
}

void config_copy(struct config *dst, const struct config *src)
{
    memcpy(dst, src, sizeof(*dst));
    for (const struct config_key *k = config_keys; k->name; k++) {
        if (k->type == CONFIG_STRING) {
            char **s = (char **)((char *)dst + k->offset);
            *s = xstrdup(*s);
        }
    }
}

struct load_ctx {
    struct config *cfg;
    const char *path;
    char *err;
    size_t cap;
    bool failed;
};

/* inih stops at the first entry this refuses and returns its line number,
 * which config_load_file adds to the message kept here. */
static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *c = user;
    char msg[200];

    if (c->failed)
        return 0;
    if (strcmp(section, "vigild") != 0) {
        snprintf(c->err, c->cap, "key \"%s\" outside section [vigild]", name);
        c->failed = true;
        return 0;
    }
    if (!config_set(c->cfg, name, value, msg, sizeof(msg))) {
        snprintf(c->err, c->cap, "%s", msg);
        c->failed = true;
        return 0;
    }
    return 1;
}

bool config_load_file(struct config *cfg, const char *path, char *err, size_t cap)
{
    struct load_ctx c = {cfg, path, err, cap, false};
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return false;
    }
    int rc = ini_parse_file(f, on_ini_entry, &c);
    fclose(f);
    if (c.failed) {
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", err);
        snprintf(err, cap, "%s:%d: %s", path, rc, msg);
        return false;
    }
    if (rc != 0) {
        snprintf(err, cap, "%s:%d: syntax error (expected key = value)", path, rc);
        return false;
    }
    return true;
}

bool config_validate(const struct config *cfg, char *err, size_t cap)
{
    static const struct {
        size_t off;
        const char *name;
    } required[] = {
        {K(tls_cert_file), "tls_cert_file"},
        {K(tls_key_file), "tls_key_file"},
        {K(tls_ca_file), "tls_ca_file"},
        {K(listen), "listen"},
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (**(char *const *)((const char *)cfg + required[i].off) == '\0') {
            snprintf(err, cap, "setting \"%s\" is required", required[i].name);
            return false;
        }
    }
    enum log_level lvl;
    if (!log_level_parse(cfg->log_level, &lvl)) {
        snprintf(err, cap, "setting \"log_level\": \"%s\" is not error, warn, info or debug",
                 cfg->log_level);
        return false;
    }
    if (cfg->db_reconnect_min_ms > cfg->db_reconnect_max_ms) {
        snprintf(err, cap, "setting \"db_reconnect_min_ms\" exceeds \"db_reconnect_max_ms\"");
        return false;
    }
    return true;
}

const char *config_owner_conninfo(const struct config *cfg)
{
    return cfg->db_owner[0] ? cfg->db_owner : cfg->db;
}

void config_diff_restart(const struct config *old, const struct config *new, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (const struct config_key *k = config_keys; k->name; k++) {
        const char *a = (const char *)old + k->offset, *b = (const char *)new + k->offset;
        bool same;
        if (k->reloadable)
            continue;
        if (k->type == CONFIG_STRING)
            same = strcmp(*(char *const *)a, *(char *const *)b) == 0;
        else if (k->type == CONFIG_INT)
            same = *(const int *)a == *(const int *)b;
        else
            same = *(const bool *)a == *(const bool *)b;
        if (!same && o + strlen(k->name) + 2 < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", k->name);
    }
}

void config_print_doc(FILE *out)
{
    fprintf(out, "[vigild]\n");
    for (const struct config_key *k = config_keys; k->name; k++) {
        fprintf(out, "; %s%s\n", k->doc, k->reloadable ? " (reloadable)" : " (restart)");
        fprintf(out, ";%s = %s\n\n", k->name, k->def);
    }
}

bool config_build(const char *path, const char *const *overrides, int noverrides,
                  struct config *out, char *err, size_t cap)
{
    config_init(out);
    if (path && !config_load_file(out, path, err, cap))
        goto fail;
    for (int i = 0; i < noverrides; i++) {
        char key[64];
        const char *kv = overrides[i], *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : 0;
        if (eq == NULL || klen == 0 || klen >= sizeof(key)) {
            snprintf(err, cap, "bad option \"--%s\" (expected --key=value)", kv);
            goto fail;
        }
        memcpy(key, kv, klen);
        key[klen] = '\0';
        if (!config_set(out, key, eq + 1, err, cap))
            goto fail;
    }
    return true;
fail:
    config_clear(out);
    return false;
}
