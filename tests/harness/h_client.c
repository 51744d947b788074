/* h_client: libvigil clients of test daemons (see h_client.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_client.h"
#include "h_env.h"
#include "h_run.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h_client_options(const struct h_daemon *d, const char *who, bool public_listener,
                      struct vigil_options *opts, struct h_client_paths *paths)
{
    memset(opts, 0, sizeof(*opts));
    if (public_listener)
        cr_assert(d->public_port > 0, "the daemon has no public listener (start it with "
                                      "H_PUBLIC_LISTENER in extra_args)");
    opts->address = public_listener ? d->public_address : d->address;
    opts->ca_file = d->ca_file;
    if (who) {
        snprintf(paths->cert, sizeof(paths->cert), "%s/%s.crt", h_certs_dir(), who);
        snprintf(paths->key, sizeof(paths->key), "%s/%s.key", h_certs_dir(), who);
        opts->cert_file = paths->cert;
        opts->key_file = paths->key;
    }
    opts->server_name = "localhost";
    opts->connect_timeout_ms = 10000;
}

enum vigil_status h_client_try(const struct h_daemon *d, const char *who, bool public_listener,
                               struct vigil_client **out, char *err, size_t errcap)
{
    struct vigil_options opts;
    struct h_client_paths paths;
    enum vigil_status st = VIGIL_OK;

    h_client_options(d, who, public_listener, &opts, &paths);
    err[0] = '\0';
    *out = vigil_client_new(&opts, &st, err, errcap);
    if (*out != NULL)
        return VIGIL_OK;
    return st == VIGIL_OK ? VIGIL_E_CONNECT : st;
}

struct vigil_client *h_client(const struct h_daemon *d, const char *who, bool public_listener)
{
    static char err[1024];
    struct vigil_client *c = NULL;
    enum vigil_status st = h_client_try(d, who, public_listener, &c, err, sizeof(err));

    cr_assert(st == VIGIL_OK, "connect to %s as %s: %s: %s",
              public_listener ? d->public_address : d->address, who ? who : "(no certificate)",
              vigil_strerror(st), err);
    return c;
}

/* An empty directory for HOME, made once per process. */
static const char *empty_home(void)
{
    static char dir[PATH_MAX];
    if (dir[0] == '\0')
        h_workdir(dir, "home");
    return dir;
}

#define MAX_ARGS 48

int h_cli(const struct h_daemon *d, const char *who, bool public_listener, const char *const args[],
          char **out, char **err)
{
    struct vigil_options o;
    struct h_client_paths paths;
    const char *argv[MAX_ARGS + 16];
    size_t n = 0;
    char *home = h_strdupf("HOME=%s", empty_home());
    char *xdg = h_strdupf("XDG_CONFIG_HOME=%s", empty_home());
    const char *env[] = {home,
                         xdg,
                         "VIGIL_ADDRESS",
                         "VIGIL_CA",
                         "VIGIL_CERT",
                         "VIGIL_KEY",
                         "VIGIL_SERVER_NAME",
                         "VIGIL_CONFIG",
                         "VIGIL_TIMEOUT_MS",
                         "VIGIL_FORMAT",
                         "VIGIL_NO_CERT",
                         NULL};
    int rc;

    h_client_options(d, who, public_listener, &o, &paths);
    argv[n++] = h_cli_path();
    argv[n++] = "--address";
    argv[n++] = o.address;
    argv[n++] = "--ca";
    argv[n++] = o.ca_file;
    if (who) {
        argv[n++] = "--cert";
        argv[n++] = o.cert_file;
        argv[n++] = "--key";
        argv[n++] = o.key_file;
    } else {
        argv[n++] = "--no-cert";
    }
    argv[n++] = "--server-name";
    argv[n++] = o.server_name;
    for (size_t i = 0; args && args[i]; i++) {
        cr_assert(i < MAX_ARGS, "h_cli: more than %d arguments", MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    rc = h_run(argv, env, out, err);
    free(home);
    free(xdg);
    return rc;
}

int h_interop(const struct h_daemon *d, const char *who, bool public_listener,
              const char *const extra[], char **out, char **err)
{
    struct vigil_options o;
    struct h_client_paths paths;
    const char *argv[MAX_ARGS + 16];
    size_t n = 0;
    char *script = h_strdupf("%s/tests/interop/health_check.py", h_source_dir());
    char *protos = h_strdupf("%s/proto", h_source_dir());
    int rc;

    h_client_options(d, who, public_listener, &o, &paths);
    argv[n++] = h_python();
    argv[n++] = script;
    argv[n++] = "--address";
    argv[n++] = o.address;
    argv[n++] = "--ca";
    argv[n++] = o.ca_file;
    argv[n++] = "--proto-dir";
    argv[n++] = protos;
    argv[n++] = "--server-name";
    argv[n++] = o.server_name;
    if (who) {
        argv[n++] = "--cert";
        argv[n++] = o.cert_file;
        argv[n++] = "--key";
        argv[n++] = o.key_file;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        cr_assert(i < MAX_ARGS, "h_interop: more than %d arguments", MAX_ARGS);
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    rc = h_run(argv, (const char *const[]){"PYTHONDONTWRITEBYTECODE=1", NULL}, out, err);
    free(script);
    free(protos);
    return rc;
}

struct h_cli_run h_cli_run(const struct h_daemon *d, const char *who, const char *const *args)
{
    struct h_cli_run r;
    r.rc = h_cli(d, who, false, args, &r.out, &r.err);
    return r;
}

void h_cli_run_free(struct h_cli_run *r)
{
    free(r->out);
    free(r->err);
    *r = (struct h_cli_run){0};
}

void h_cli_expect_rc(const struct h_cli_run *r, int rc, const char *what)
{
    cr_assert_eq(r->rc, rc, "%s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", what, r->rc, rc,
                 r->out, r->err);
}

void h_cli_expect_out(const struct h_cli_run *r, const char *text, const char *what)
{
    cr_assert(strstr(r->out, text) != NULL, "%s: stdout lacks \"%s\":\n%s\nstderr:\n%s", what, text,
              r->out, r->err);
}

void h_cli_expect_err(const struct h_cli_run *r, const char *text, const char *what)
{
    cr_assert(strstr(r->err, text) != NULL, "%s: stderr lacks \"%s\":\n%s", what, text, r->err);
}
