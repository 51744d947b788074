/* args: the options shared by the data commands (see args.h). */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void args_init(struct args *a, const char *cmd)
{
    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
}

void args_clear(struct args *a)
{
    free(a->states);
    memset(a, 0, sizeof(*a));
}

int args_usage(const struct args *a, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vigil %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vigil %s --help'.\n", a->cmd);
    return CLI_EXIT_USAGE;
}

static bool number(const struct args *a, const char *name, const char *arg, long long min,
                   long long max, long long *out)
{
    char *end;

    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
        args_usage(a, "--%s: \"%s\" is not a number from %lld to %lld", name, arg, min, max);
        return false;
    }
    *out = v;
    return true;
}

static bool add_state(struct args *a, const char *arg)
{
    const char **grown = realloc(a->states, (a->nstates + 1) * sizeof(*grown));

    if (grown == NULL) {
        fprintf(stderr, "vigil %s: out of memory\n", a->cmd);
        return false;
    }
    a->states = grown;
    a->states[a->nstates++] = arg;
    return true;
}

/* The options that only keep their text. */
static const struct {
    enum args_id id;
    size_t offset; /* of the const char * field */
} text_options[] = {
    {ARG_CYCLE, offsetof(struct args, cycle)},
    {ARG_REGION, offsetof(struct args, region)},
    {ARG_STATUS, offsetof(struct args, status)},
    {ARG_COMMENT, offsetof(struct args, comment)},
    {ARG_OUT, offsetof(struct args, out)},
    {ARG_SINCE, offsetof(struct args, since)},
    {ARG_ROLE, offsetof(struct args, role)},
    {ARG_METHODOLOGY, offsetof(struct args, methodology)},
    {ARG_PREDECESSOR, offsetof(struct args, predecessor)},
    {ARG_SHA256, offsetof(struct args, sha256)},
    {ARG_SUBJECT, offsetof(struct args, subject)},
    {ARG_AFTER, offsetof(struct args, after)},
    {ARG_FILE_FORMAT, offsetof(struct args, file_format)},
};

bool args_option(void *ctx, int id, const char *arg)
{
    struct args *a = ctx;
    long long v;

    for (size_t i = 0; i < sizeof(text_options) / sizeof(text_options[0]); i++) {
        if (text_options[i].id == (enum args_id)id) {
            *(const char **)((char *)a + text_options[i].offset) = arg;
            return true;
        }
    }
    switch ((enum args_id)id) {
    case ARG_STATE:
        return add_state(a, arg);
    case ARG_DRAFT:
        return a->draft = true;
    case ARG_CHECK:
        return a->check = true;
    case ARG_FOLLOW:
        return a->follow = true;
    case ARG_APPROVALS:
        return a->approvals = true;
    case ARG_DRY_RUN:
        return a->dry_run = true;
    case ARG_REVISION:
        if (!number(a, "revision", arg, 1, INT_MAX, &v))
            return false;
        a->revision = (int)v;
        return true;
    case ARG_LIMIT:
        if (!number(a, "limit", arg, 1, 1000000, &v))
            return false;
        a->limit = (int)v;
        return true;
    case ARG_AFTER_ID:
        if (!number(a, "after-id", arg, 0, LLONG_MAX, &v))
            return false;
        a->after_id = v;
        return true;
    case ARG_VERSION:
        if (!number(a, "version", arg, 1, INT_MAX, &v))
            return false;
        a->version = (int)v;
        return true;
    default:
        break;
    }
    fprintf(stderr, "vigil %s: internal error: option id %d\n", a->cmd, id);
    return false;
}

bool args_parse(const struct cmd *self, struct opts *o, int argc, char *argv[], struct args *a,
                int min_args, int *first, int *exit_code)
{
    if (!cmd_parse(self, o, argc, argv, args_option, a, first, exit_code))
        return false;
    if (argc - *first < min_args) {
        *exit_code = args_usage(a, "missing argument%s %s", min_args > 1 ? "s" : "", self->args);
        return false;
    }
    return true;
}
