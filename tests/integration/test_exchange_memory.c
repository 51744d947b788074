/* Export in constant memory (issue 5). A cycle of every state with 32
 * indicators x 20 evidence items (about 159,000 items, tens of megabytes
 * of records; tests/data/export_big_cycle.sql) is exported twice by
 * tests/interop/export_reader.py: once as fast as it reads, once slowly
 * (a pause after each assessment), the same revisions are read once more
 * through the change feed, slowly, and a client sends 64 MB of import
 * records at once while leaving the results unread (import_flood.py). The daemon's resident memory
 * (VmRSS, sampled every 20 ms) must stay within EXPORT_RSS_BOUND_MB of what it was before the first
 * export, both times: the export is streamed from the database in pages held back by HTTP/2 flow
 * control, never held whole.
 *
 * It runs the daemon built without sanitizers (AddressSanitizer's
 * quarantine keeps freed memory by design), which tests/run.sh builds and
 * names in VIGILD_PLAIN_PATH; without it the test is skipped. The bound is
 * documented in the README ("Partner exchange"). */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_RSS_BOUND_MB 16
#define BIG_CYCLE           "big-2016"

static struct h_db db;
static struct h_daemon d;

static void setup(void)
{
    const char *plain = getenv("VIGILD_PLAIN_PATH");
    if (plain == NULL || *plain == '\0')
        return; /* skipped by the test */
    setenv("VIGIL_TEST_VIGILD", plain, 1);
    h_db_create(&db);
    h_offices_register(&db);
    h_daemon_start(&d, &db, NULL);
}

static void teardown(void)
{
    if (d.pid != 0)
        h_daemon_stop(&d);
    if (db.name[0] != '\0')
        h_db_drop(&db);
}

TestSuite(export_memory, .init = setup, .fini = teardown, .timeout = 400);

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    if (f)
        fclose(f);
    return kb;
}

struct sampler {
    pid_t pid;
    atomic_bool stop;
    long max_kb;
};

static void *sample(void *arg)
{
    struct sampler *s = arg;
    while (!atomic_load(&s->stop)) {
        long kb = rss_kb(s->pid);
        if (kb > s->max_kb)
            s->max_kb = kb;
        h_sleep_ms(20);
    }
    return NULL;
}

/* Runs a Python client of tests/interop (script, as who, with args) while
 * sampling the daemon's RSS; returns the peak in kB and the client's summary
 * line in *summary (malloc'd). */
static long peak_during(const char *script_name, const char *who, const char *const *args,
                        char **summary)
{
    char ca[4096], cert[4096], key[4096], *err = NULL;
    h_path(ca, sizeof(ca), h_certs_dir(), "ca.crt");
    char *crt = h_strdupf("%s.crt", who), *pem = h_strdupf("%s.key", who);
    h_path(cert, sizeof(cert), h_certs_dir(), crt);
    h_path(key, sizeof(key), h_certs_dir(), pem);
    char *script = h_strdupf("%s/tests/interop/%s", h_source_dir(), script_name);
    char *proto = h_strdupf("%s/proto", h_source_dir());
    const char *argv[24] = {h_python(), script, "--address", d.address, "--ca",        ca,
                            "--cert",   cert,   "--key",     key,       "--proto-dir", proto};
    size_t n = 12;
    for (size_t i = 0; args[i] != NULL && n < 23; i++)
        argv[n++] = args[i];
    struct sampler s = {.pid = d.pid, .max_kb = rss_kb(d.pid)};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, sample, &s), 0);
    int rc = h_run_timeout(argv, NULL, summary, &err, 300000);
    atomic_store(&s.stop, true);
    pthread_join(t, NULL);
    cr_assert_eq(rc, 0, "%s exit %d: %s %s", script_name, rc, *summary, err);
    free(err);
    free(script);
    free(proto);
    free(crt);
    free(pem);
    return s.max_kb;
}

#define PEAK(script, who, summary, ...)                                                            \
    peak_during(script, who, (const char *const[]){__VA_ARGS__, NULL}, summary)

/* A number of the reader's summary line ("evidence=N"), -1 when absent. */
static long long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? atoll(p + strlen(key)) : -1;
}

Test(export_memory, bounded_for_fast_and_slow_readers)
{
    if (getenv("VIGILD_PLAIN_PATH") == NULL || *getenv("VIGILD_PLAIN_PATH") == '\0')
        cr_skip_test("VIGILD_PLAIN_PATH unset: run through tests/run.sh, which builds the daemon "
                     "without sanitizers for this measurement");
    char *path = h_strdupf("%s/tests/data/export_big_cycle.sql", h_source_dir());
    char *sql = h_read_file(path, NULL);
    free(path);
    long long t0 = h_now_ms();
    h_db_exec(&db, sql);
    free(sql);
    long long gen_ms = h_now_ms() - t0;

    /* Publishing writes every revision into the feed: give it time. */
    struct vigil_client *central = h_client(&d, "central", false);
    Vigil__V1__PublishRequest pub = VIGIL__V1__PUBLISH_REQUEST__INIT;
    pub.request_id = "big-publish";
    pub.cycle = BIG_CYCLE;
    ProtobufCMessage *resp = NULL;
    t0 = h_now_ms();
    enum vigil_status st = vigil_call(central, H_PUBLISH, &pub.base,
                                      &vigil__v1__publish_response__descriptor, &resp, 300000);
    cr_assert_eq(st, VIGIL_OK, "publish the big cycle: %s", vigil_errmsg(central));
    long long pub_ms = h_now_ms() - t0;
    protobuf_c_message_free_unpacked(resp, NULL);
    vigil_client_free(central);

    long base = rss_kb(d.pid);
    char *fast = NULL, *slow = NULL;
    char *feed = NULL, *flood = NULL;
    long fast_peak = PEAK("export_reader.py", "partner", &fast, "--cycle", BIG_CYCLE);
    long slow_peak =
        PEAK("export_reader.py", "partner", &slow, "--cycle", BIG_CYCLE, "--delay", "0.01");
    long feed_peak = PEAK("export_reader.py", "partner", &feed, "--feed", "--delay", "0.01");
    /* 1,000 records of 64 kB sent at once, results left unread for 5 s. */
    long flood_peak = PEAK("import_flood.py", "regional", &flood, "--cycle", BIG_CYCLE, "--records",
                           "1000", "--kb", "64", "--pause", "5");
    long bound = base + EXPORT_RSS_BOUND_MB * 1024L;
    long long evidence = field(fast, "evidence="), bytes = field(fast, "bytes=");
    fprintf(stderr,
            "export memory: %lld evidence items, %lld MB of records (data generated in %lld ms); "
            "published in %lld ms; daemon RSS before %ld kB, peak %ld kB fast reader, %ld kB slow "
            "reader (bound +%d "
            "MB); slow feed reader peak %ld kB (%s); import flood peak %ld kB (%s)\n",
            evidence, bytes >> 20, gen_ms, pub_ms, base, fast_peak, slow_peak, EXPORT_RSS_BOUND_MB,
            feed_peak, feed, flood_peak, flood);
    cr_assert_geq(evidence, 100000, "the export carries at least 100,000 evidence items: %s", fast);
    cr_assert_str_eq(strstr(fast, "evidence="), strstr(slow, "evidence="), "same snapshot");
    cr_assert_leq(fast_peak, bound, "fast reader: peak RSS %ld kB above %ld kB + %d MB", fast_peak,
                  base, EXPORT_RSS_BOUND_MB);
    cr_assert_leq(slow_peak, bound, "slow reader: peak RSS %ld kB above %ld kB + %d MB", slow_peak,
                  base, EXPORT_RSS_BOUND_MB);
    cr_assert_eq(field(feed, "evidence="), evidence, "the feed carries the same evidence: %s",
                 feed);
    cr_assert_leq(feed_peak, bound, "slow feed reader: peak RSS %ld kB above %ld kB + %d MB",
                  feed_peak, base, EXPORT_RSS_BOUND_MB);
    cr_assert(strstr(flood, "results=1000 refused=1000"), "every record answered: %s", flood);
    cr_assert_leq(flood_peak, bound, "import flood: peak RSS %ld kB above %ld kB + %d MB",
                  flood_peak, base, EXPORT_RSS_BOUND_MB);
    free(feed);
    free(flood);
    free(fast);
    free(slow);
}
