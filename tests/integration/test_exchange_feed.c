/* The change feed under concurrency (issue 5, "Feed completeness"). While
 * several clients approve (an open cycle) and correct and republish (a
 * published cycle, the last time under a short embargo), each on its own connection
 * and thread, a consumer follows the feed and disconnects at random points
 * (tests/interop/feed_consumer.py: cancelled calls, closed connections),
 * resuming each time from the last cursor it processed. At the end it must
 * hold exactly the changes the database committed to change_event, each
 * once, in cursor order. Commits of concurrent writers overtake each other
 * all the time here; a feed paged by a plain sequence would lose changes.
 *
 * VIGIL_FEED_ROUNDS (default 10) sets how many rounds each writer does: raise
 * it for a soak run (README, "Tests"). */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OPEN_CYCLE "2013-2016"
#define WRITERS    3 /* approvers in the open cycle, one state each... */
#define STATES_PER 2 /* ...times this */

static const struct h_rank_state dataset[] = {
    {"DE", "22222222 2222 2322"}, {"FR", "22220000 2222 1120"}, {"PL", "11000000 00n1 2322"},
    {"IT", "22221111 2222 2322"}, {"ES", "11111111 1111 1111"}, {"SE", "22222222 2222 2222"},
};
static const char *const open_states[WRITERS][STATES_PER] = {
    {"DE", "FR"}, {"PL", "IT"}, {"ES", "SE"}};

static struct h_rank_env e;

struct writer {
    int id;
    int rounds;
    struct vigil_client *regional, *central;
    int failures;
    char why[1200];
    long seq; /* request ids */
};

static void next_id(struct writer *w, char **field)
{
    char id[64];
    snprintf(id, sizeof(id), "feed-%d-%ld-%ld", w->id, (long)getpid(), ++w->seq);
    h_str_set(field, id);
}

static bool ok(struct writer *w, struct h_rpc *r, const char *what)
{
    bool good = r->code == 0;
    if (!good && w->failures++ == 0)
        snprintf(w->why, sizeof(w->why), "%s: code %d %s", what, r->code, r->msg);
    h_rpc_clear(r);
    return good;
}

/* Review as central: approve (comment NULL) or unlock revision. */
static bool review(struct writer *w, const char *cycle, const char *state,
                   Vigil__V1__ReviewAction action, const char *comment, int revision)
{
    struct h_rpc r = {0};
    Vigil__V1__ReviewRequest rv = VIGIL__V1__REVIEW_REQUEST__INIT;
    char *id = NULL;
    next_id(w, &id);
    rv.request_id = id;
    rv.state = (char *)state;
    rv.cycle = (char *)cycle;
    rv.action = action;
    rv.comment = comment ? (char *)comment : "";
    rv.revision = revision;
    h_rank_call(&r, w->central, H_REVIEW, &rv.base);
    free(id);
    return ok(w, &r,
              action == VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK ? "unlock" : "approve");
}

/* Submits a new revision of state in cycle on base and approves it. */
static bool submit_approve(struct writer *w, const char *cycle, const char *state, int base)
{
    struct h_rpc r = {0};
    Vigil__V1__SubmitRequest *s = h_submit_new(state, cycle, base);
    next_id(w, &s->request_id);
    h_rank_call(&r, w->regional, H_SUBMIT, &s->base);
    h_submit_free(s);
    return ok(w, &r, "submit") &&
           review(w, cycle, state, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_APPROVE, NULL, base + 1);
}

static bool unlock(struct writer *w, const char *cycle, const char *state, int revision)
{
    return review(w, cycle, state, VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK,
                  "feed test correction", revision);
}

/* Approver: its states in the open cycle, approved again and again. */
static void *approver(void *arg)
{
    struct writer *w = arg;
    int rev[STATES_PER] = {0};
    for (int round = 0; round < w->rounds && w->failures == 0; round++) {
        for (int i = 0; i < STATES_PER && w->failures == 0; i++) {
            const char *st = open_states[w->id][i];
            if (rev[i] > 0 && !unlock(w, OPEN_CYCLE, st, rev[i]))
                break;
            if (submit_approve(w, OPEN_CYCLE, st, rev[i]))
                rev[i]++;
        }
    }
    return NULL;
}

/* Publisher: corrects one state of the published cycle and republishes;
 * the last time under a 2 s embargo, which the daemon releases later. */
static void *publisher(void *arg)
{
    struct writer *w = arg;
    int revs[6] = {1, 1, 1, 1, 1, 1}; /* the dataset's approved revisions in H_CYCLE */
    for (int round = 0; round < w->rounds && w->failures == 0; round++) {
        int k = round % 6;
        if (!unlock(w, H_CYCLE, dataset[k].code, revs[k]) ||
            !submit_approve(w, H_CYCLE, dataset[k].code, revs[k]))
            break;
        revs[k]++;
        char embargo[40] = "";
        if (round == w->rounds - 1) {
            time_t t = time(NULL) + 2;
            strftime(embargo, sizeof(embargo), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
        }
        struct h_rpc r = {0};
        h_rank_publish(&r, w->central, H_CYCLE, embargo);
        ok(w, &r, "publish");
    }
    return NULL;
}

static void setup(void)
{
    h_rank_start(&e, NULL);
    h_rank_load(&e, H_CYCLE, dataset, 6);
    h_rank_close_publish(&e, H_CYCLE, NULL);
    h_rank_create_cycle(&e, OPEN_CYCLE, H_METHODOLOGY, H_CYCLE);
}

static void teardown(void)
{
    h_rank_stop(&e);
}

TestSuite(feed, .init = setup, .fini = teardown, .timeout = 300);

/* The committed changes as "CURSOR KIND" lines in seq order (owner's view). */
static char *committed(void)
{
    return h_db_query_value(&e.a.db,
                            "SELECT coalesce(string_agg(vigil_private.cursor_text(seq) || ' ' || "
                            "kind, E'\\n' ORDER BY seq), '') FROM change_event");
}

/* The consumer's file reduced to "CURSOR KIND" lines. */
static char *received(const char *path)
{
    char *text = h_read_file(path, NULL);
    size_t cap = strlen(text) + 1, n = 0;
    char *out = calloc(1, cap);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char cursor[128], kind[64];
        cr_assert_eq(sscanf(line, "%127s %63s", cursor, kind), 2, "bad line %s", line);
        n += (size_t)snprintf(out + n, cap - n, "%s%s %s", n ? "\n" : "", cursor, kind);
    }
    free(text);
    return out;
}

struct consumer {
    const char *argv[24];
    int rc;
    char *out, *err;
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    c->rc = h_run_timeout(c->argv, NULL, &c->out, &c->err, 280000);
    return NULL;
}

Test(feed, resumes_without_gaps_or_repeats_under_concurrent_commits)
{
    const char *rounds_env = getenv("VIGIL_FEED_ROUNDS");
    int rounds = rounds_env && *rounds_env ? atoi(rounds_env) : 10;
    char dir[4096], out[4200], stop[4200], ca[4096], cert[4096], key[4096];
    h_workdir(dir, "feed");
    h_path(out, sizeof(out), dir, "received.txt");
    h_path(stop, sizeof(stop), dir, "stop");
    h_path(ca, sizeof(ca), h_certs_dir(), "ca.crt");
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    char *script = h_strdupf("%s/tests/interop/feed_consumer.py", h_source_dir());
    char *proto = h_strdupf("%s/proto", h_source_dir());
    char seed[32];
    snprintf(seed, sizeof(seed), "%ld", (long)getpid());

    struct consumer c = {
        .argv = {h_python(), script,  "--address",   e.a.d.address, "--ca", ca,      "--cert",
                 cert,       "--key", key,           "--proto-dir", proto,  "--out", out,
                 "--stop",   stop,    "--approvals", "--seed",      seed,   NULL}};
    pthread_t ct;
    cr_assert_eq(pthread_create(&ct, NULL, consume, &c), 0);

    struct writer w[WRITERS + 1];
    pthread_t wt[WRITERS + 1];
    for (int i = 0; i <= WRITERS; i++) {
        w[i] = (struct writer){.id = i, .rounds = i < WRITERS ? rounds : rounds + 2};
        w[i].regional = h_client(&e.a.d, "regional", false);
        w[i].central = h_client(&e.a.d, "central", false);
    }
    long long t0 = h_now_ms();
    for (int i = 0; i <= WRITERS; i++)
        cr_assert_eq(pthread_create(&wt[i], NULL, i < WRITERS ? approver : publisher, &w[i]), 0);
    for (int i = 0; i <= WRITERS; i++)
        pthread_join(wt[i], NULL);
    long long writing_ms = h_now_ms() - t0;
    for (int i = 0; i <= WRITERS; i++) {
        vigil_client_free(w[i].regional);
        vigil_client_free(w[i].central);
        cr_expect_eq(w[i].failures, 0, "writer %d: %s", i, w[i].why);
    }
    /* The embargoed version is released (by the daemon's timer) within ~2 s. */
    h_sleep_ms(2500);
    h_write_file(stop, "", 0);
    pthread_join(ct, NULL);
    cr_assert_eq(c.rc, 0, "consumer exit %d\nstderr: %s", c.rc, c.err);

    char *want = committed();
    char *got = received(out);
    int lines = 0, approvals = 0, released = 0;
    for (const char *p = want; *p; p++)
        lines += *p == '\n';
    for (const char *p = want; (p = strstr(p, " approved")) != NULL; p++)
        approvals++;
    for (const char *p = want; (p = strstr(p, " embargo_released")) != NULL; p++)
        released++;
    fprintf(stderr,
            "feed: %d changes committed in %lld ms by %d writers (%d approvals, %d embargo "
            "releases); consumer: %s\n",
            lines + (*want != '\0'), writing_ms, WRITERS + 1, approvals, released, c.err);
    cr_expect_gt(approvals, WRITERS * STATES_PER, "the approvers wrote their changes");
    cr_expect_eq(released, 1, "the embargoed version entered the feed once");
    cr_assert_str_eq(got, want, "received (left) differs from committed (right)");
    free(want);
    free(got);
    free(c.out);
    free(c.err);
    free(script);
    free(proto);
}
