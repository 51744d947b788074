/* config: the settings table, INI loading, overrides and validation. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/vigil-config-test.XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(config, defaults_are_valid_values)
{
    struct config c = {0};
    config_init(&c);
    cr_assert_str_eq(c.listen, "127.0.0.1:7443");
    cr_assert_str_eq(c.public_listen, "");
    cr_assert_eq(c.max_message_size, 4 * 1024 * 1024);
    cr_assert(c.log_access);
    cr_assert(c.migrate);
    config_clear(&c);
}

Test(config, every_key_documented)
{
    for (const struct config_key *k = config_keys; k->name; k++) {
        cr_assert(k->doc && strlen(k->doc) > 10, "%s", k->name);
        cr_assert_not_null(k->def, "%s", k->name);
    }
}

struct set_case {
    const char *key, *value;
    bool ok;
    const char *err_has; /* the message must name the key */
};

Test(config, set_rules)
{
    static const struct set_case cases[] = {
        {"max_connections", "10", true, NULL},
        {"max_connections", "0", false, "max_connections"},
        {"max_connections", "12x", false, "max_connections"},
        {"log_access", "off", true, NULL},
        {"log_access", "maybe", false, "log_access"},
        {"no_such_key", "1", false, "no_such_key"},
        {"db", "host=/tmp dbname=x", true, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config c = {0};
        char err[256] = "";
        config_init(&c);
        bool ok = config_set(&c, cases[i].key, cases[i].value, err, sizeof(err));
        cr_assert_eq(ok, cases[i].ok, "%s=%s", cases[i].key, cases[i].value);
        if (cases[i].err_has)
            cr_assert(strstr(err, cases[i].err_has), "message \"%s\"", err);
        config_clear(&c);
    }
}

Test(config, file_then_overrides)
{
    char *path = write_temp("; comment\n[vigild]\nlisten = 0.0.0.0:9000\nmax_connections = 7\n"
                            "log_level = debug\n");
    const char *overrides[] = {"max_connections=9"};
    struct config c;
    char err[256];
    cr_assert(config_build(path, overrides, 1, &c, err, sizeof(err)), "%s", err);
    cr_assert_str_eq(c.listen, "0.0.0.0:9000");
    cr_assert_eq(c.max_connections, 9);
    cr_assert_str_eq(c.log_level, "debug");
    config_clear(&c);
    unlink(path);
    free(path);
}

Test(config, file_errors_name_line_and_key)
{
    char *path = write_temp("[vigild]\nlisten = x:1\nmax_streams = 3\n");
    struct config c;
    char err[256];
    cr_assert_not(config_build(path, NULL, 0, &c, err, sizeof(err)));
    cr_assert(strstr(err, ":3:") && strstr(err, "max_streams"), "%s", err);
    unlink(path);
    free(path);
}

Test(config, validate_requires_tls_files)
{
    struct config c = {0};
    char err[256];
    config_init(&c);
    cr_assert_not(config_validate(&c, err, sizeof(err)));
    cr_assert(strstr(err, "tls_cert_file"), "%s", err);
    char e2[256];
    cr_assert(config_set(&c, "tls_cert_file", "a", e2, sizeof(e2)));
    cr_assert(config_set(&c, "tls_key_file", "b", e2, sizeof(e2)));
    cr_assert(config_set(&c, "tls_ca_file", "c", e2, sizeof(e2)));
    cr_assert(config_validate(&c, err, sizeof(err)), "%s", err);
    cr_assert(config_set(&c, "log_level", "loud", e2, sizeof(e2)));
    cr_assert_not(config_validate(&c, err, sizeof(err)));
    cr_assert(strstr(err, "log_level"), "%s", err);
    config_clear(&c);
}

Test(config, restart_diff_names_only_fixed_keys)
{
    struct config a = {0}, b = {0};
    char out[256], err[64];
    config_init(&a);
    config_init(&b);
    cr_assert(config_set(&b, "listen", "127.0.0.1:1", err, sizeof(err)));
    cr_assert(config_set(&b, "idle_timeout_ms", "1000", err, sizeof(err)));
    config_diff_restart(&a, &b, out, sizeof(out));
    cr_assert_str_eq(out, "listen");
    config_clear(&a);
    config_clear(&b);
}

/* The example file documents every key (it is written by hand from the
 * table; this keeps the two from drifting apart). */
Test(config, example_file_lists_every_key)
{
    FILE *f = fopen(VIGIL_SOURCE_DIR "/deploy/vigild.conf.example", "r");
    cr_assert_not_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    for (const struct config_key *k = config_keys; k->name; k++) {
        char line[128];
        snprintf(line, sizeof(line), "\n;%s =", k->name);
        cr_assert(strstr(text, line), "deploy/vigild.conf.example lacks %s", k->name);
    }
}
