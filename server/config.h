/* config: the daemon's settings. One table (config.c) lists every key with its
 * type, default, reloadability and documentation; the INI parser, the
 * command-line overrides, validation and `vigild --help-config` are driven
 * from it. Modules receive a parsed struct config at init and read no globals. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
    /* [vigild] listeners */
    char *listen;        /* host:port of the mutual-TLS listener; port 0 picks a free one */
    char *public_listen; /* host:port of the certificate-less listener; "" = off */
    /* TLS */
    char *tls_cert_file;    /* server certificate chain (PEM) */
    char *tls_key_file;     /* its private key (PEM) */
    char *tls_ca_file;      /* CA bundle client certificates must chain to (PEM) */
    char *tls_ciphers;      /* TLS 1.2 cipher list (OpenSSL syntax) */
    char *tls_ciphersuites; /* TLS 1.3 suites */
    /* database */
    char *db;                 /* libpq conninfo of the service role; PG* variables apply */
    char *db_owner;           /* conninfo for migrations; "" = same as db */
    int db_pool_size;         /* connections in the request pool */
    int db_reconnect_min_ms;  /* first reconnect delay after a connection is lost */
    int db_reconnect_max_ms;  /* cap of the exponential backoff */
    bool migrate;             /* apply pending migrations at start-up */
    int cache_max_bytes;      /* memory for cached published reads; 0 = no cache */
    int exchange_max_streams; /* exports and followed feeds (own connections) at once */
    /* limits */
    int max_connections;        /* open client connections, both listeners together */
    int max_concurrent_streams; /* per HTTP/2 connection */
    int max_header_list_size;   /* bytes, per request */
    int max_message_size;       /* bytes of one gRPC message, either direction */
    int handshake_timeout_ms;   /* from accept to a completed TLS handshake and HTTP/2 preface */
    int idle_timeout_ms;        /* connection with no stream open and no bytes received */
    int shutdown_timeout_ms;    /* how long in-flight calls may run after SIGTERM */
    /* logging */
    char *log_level; /* error | warn | info | debug */
    bool log_access; /* one line per RPC */
};

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL };

struct config_key {
    const char *name; /* key in the file and --name on the command line */
    enum config_type type;
    size_t offset;   /* of the field in struct config */
    const char *def; /* default, as it would be written in the file */
    bool reloadable; /* taken on SIGHUP; others need a restart */
    int min, max;    /* bounds for CONFIG_INT */
    const char *doc; /* one line for --help-config and the example file */
};

/* The table, terminated by an entry with name NULL. */
extern const struct config_key config_keys[];

/* Fills cfg with the defaults. cfg must be zeroed or cleared before. */
void config_init(struct config *cfg);

/* Frees every string of cfg and zeroes it. */
void config_clear(struct config *cfg);

/* Deep copy; dst must be zeroed or cleared. */
void config_copy(struct config *dst, const struct config *src);

/* Sets one key from its text form. Returns false and writes a message naming
 * the key into err (cap bytes) on an unknown key or a bad value. */
bool config_set(struct config *cfg, const char *key, const char *value, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Reads an INI file (keys in section [vigild]) on top of cfg. Returns false
 * with a message naming the file, line and key in err. */
bool config_load_file(struct config *cfg, const char *path, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Builds a configuration the way start-up and every reload do: defaults,
 * then the file (path may be NULL), then "key=value" overrides from the
 * command line. Does not validate. On failure out is cleared and err says
 * which file, line or option was wrong. */
bool config_build(const char *path, const char *const *overrides, int noverrides,
                  struct config *out, char *err, size_t cap) __attribute__((warn_unused_result));

/* Checks cross-key rules (files named, db set). Returns false with a message. */
bool config_validate(const struct config *cfg, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* The owner conninfo: db_owner when set, else db. Borrowed from cfg. */
const char *config_owner_conninfo(const struct config *cfg);

/* Names the non-reloadable keys whose values differ (comma separated, into
 * out), so that a reload can warn that they need a restart. */
void config_diff_restart(const struct config *old, const struct config *new, char *out, size_t cap);

/* Prints every key with default and documentation, as an example file. */
void config_print_doc(FILE *out);

#endif
