/* Unit tests of client/cli/pending and reqid: the pending file written next
 * to an input file, read back by a later run, entries replaced and removed,
 * the file gone when empty, a damaged file refused rather than guessed at;
 * and the shape of request ids. */
#include "pending.h"
#include "reqid.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/vigil-test-pending-XXXXXX";
static char input[256], path[300];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(input, sizeof(input), "%s/th.csv", dir);
    snprintf(path, sizeof(path), "%s.pending", input);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(pending, .init = setup, .fini = teardown);

static struct pending_entry entry(const char *state, const char *id, int base)
{
    return (struct pending_entry){
        "127.0.0.1:7443",      (char *)state,         "2009-2012", (char *)id, base,
        "9a0b" /* any text */, "2026-03-29T07:00:00Z"};
}

Test(pending, round_trip)
{
    struct pending p, q;
    char err[512];
    struct pending_entry th = entry("TH", "id-th", 2), vn = entry("VN", "id-vn", 0);

    cr_assert(pending_load(&p, input, err, sizeof(err)), "%s", err);
    cr_expect_eq(p.n, 0, "no file is an empty list");
    cr_expect_null(pending_find(&p, th.server, "TH", "2009-2012"));
    cr_assert(pending_put(&p, &th, err, sizeof(err)), "%s", err);
    cr_assert(pending_put(&p, &vn, err, sizeof(err)), "%s", err);
    cr_expect_eq(access(path, F_OK), 0);

    /* A later run reads the same requests back. */
    cr_assert(pending_load(&q, input, err, sizeof(err)), "%s", err);
    cr_assert_eq(q.n, 2);
    const struct pending_entry *e = pending_find(&q, "127.0.0.1:7443", "TH", "2009-2012");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->request_id, "id-th");
    cr_expect_eq(e->base_revision, 2);
    cr_expect_str_eq(e->content_sha256, "9a0b");
    cr_expect_str_eq(e->created_at, "2026-03-29T07:00:00Z");
    cr_expect_null(pending_find(&q, "other:1", "TH", "2009-2012"), "entries are per server");
    cr_expect_null(pending_find(&q, "127.0.0.1:7443", "TH", "2005-2008"));

    /* Replacing keeps one entry per state and cycle. */
    struct pending_entry th2 = entry("TH", "id-th-2", 3);
    cr_assert(pending_put(&q, &th2, err, sizeof(err)), "%s", err);
    cr_expect_eq(q.n, 2);
    cr_expect_str_eq(pending_find(&q, th.server, "TH", "2009-2012")->request_id, "id-th-2");

    /* Removing the last entry removes the file. */
    cr_assert(pending_remove(&q, th.server, "TH", "2009-2012", err, sizeof(err)), "%s", err);
    cr_assert(pending_remove(&q, th.server, "TH", "2009-2012", err, sizeof(err)), "twice: %s", err);
    cr_expect_eq(access(path, F_OK), 0);
    cr_assert(pending_remove(&q, th.server, "VN", "2009-2012", err, sizeof(err)), "%s", err);
    cr_expect_neq(access(path, F_OK), 0, "an empty pending file is removed");
    cr_expect_eq(q.n, 0);
    pending_clear(&p);
    pending_clear(&q);
}

Test(pending, damaged_file_refused)
{
    static const char *const texts[] = {
        "{\"vigil_pending\": 1, \"requests\": [",
        "{\"vigil_pending\": 2, \"requests\": []}",
        "{\"vigil_pending\": 1, \"requests\": [{\"state\": \"TH\"}]}",
        "{\"vigil_pending\": 1, \"requests\": [], \"extra\": true}",
    };
    struct pending p;
    char err[512];

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(texts[i], f);
        fclose(f);
        err[0] = '\0';
        cr_expect(!pending_load(&p, input, err, sizeof(err)), "accepted: %s", texts[i]);
        cr_expect(strstr(err, ".pending") != NULL, "error names the file: %s", err);
        pending_clear(&p);
    }
    cr_expect_eq(access(path, F_OK), 0, "a damaged file is left for the user");
}

Test(pending, unwritable_folder)
{
    struct pending p;
    char err[512] = "", bad[300];
    struct pending_entry th = entry("TH", "id", 0);

    if (geteuid() == 0)
        cr_skip_test("root writes anywhere");
    snprintf(bad, sizeof(bad), "%s/ro", dir);
    cr_assert_eq(mkdir(bad, 0500), 0);
    strcat(bad, "/x.csv");
    cr_assert(pending_load(&p, bad, err, sizeof(err)), "%s", err);
    cr_expect(!pending_put(&p, &th, err, sizeof(err)));
    cr_expect(strstr(err, "cannot write") != NULL, "%s", err);
    pending_clear(&p);
    *strrchr(bad, '/') = '\0';
    rmdir(bad);
}

static bool id_chars_ok(const char *id)
{
    size_t n = strlen(id);

    if (n < 1 || n > 64)
        return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

Test(reqid, shapes)
{
    char a[REQID_SIZE], b[REQID_SIZE], c[REQID_SIZE], d[REQID_SIZE], hex[65];
    const char *const p1[] = {"ab", "c"}, *const p2[] = {"a", "bc"};

    reqid_random(a);
    reqid_random(b);
    cr_expect(id_chars_ok(a) && strlen(a) == 36, "%s", a);
    cr_expect_str_neq(a, b);
    reqid_derived(c, "review", p1, 2);
    reqid_derived(d, "review", p1, 2);
    cr_expect_str_eq(c, d, "derived ids repeat");
    cr_expect(id_chars_ok(c) && strncmp(c, "review-", 7) == 0, "%s", c);
    reqid_derived(d, "review", p2, 2);
    cr_expect_str_neq(c, d, "parts are separated");
    cr_assert(reqid_sha256_hex("abc", 3, hex));
    cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
