/* Unit tests of client/client_msgq, the queue under libvigil's streaming
 * calls (vigil import and export stand on them): DATA bytes fed in any
 * split, the messages that come out, and which bytes may be acknowledged to
 * the server when. The rule under test: the next message to be read is
 * acknowledged as it arrives, the ones behind it only when it is read, so
 * that what the server may send beyond what the reader took is bounded by
 * the window. Scripts of steps beside the numbers they must give, then a
 * randomised run checking the invariants. */
#include "client_msgq.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG (1u << 20)

/* Appends a framed message of len bytes of fill to buf at *n. */
static void frame(uint8_t *buf, size_t *n, size_t len, uint8_t fill)
{
    grpcwire_prefix_encode(buf + *n, (uint32_t)len);
    memset(buf + *n + GRPCWIRE_PREFIX_LEN, fill, len);
    *n += GRPCWIRE_PREFIX_LEN + len;
}

static size_t feed(struct client_msgq *q, const uint8_t *p, size_t len)
{
    size_t consume = 12345;

    cr_assert_eq(client_msgq_feed(q, p, len, &consume), GRPCWIRE_NEED_MORE);
    return consume;
}

/* Pops a message of len bytes of fill; returns the bytes then consumable. */
static size_t pop(struct client_msgq *q, size_t len, uint8_t fill)
{
    uint8_t *data;
    size_t got, consume;

    cr_assert(client_msgq_pop(q, &data, &got, &consume), "no message to pop");
    cr_assert_eq(got, len, "message of %zu bytes, expected %zu", got, len);
    for (size_t i = 0; i < got; i++)
        cr_assert_eq(data[i], fill, "byte %zu of the message", i);
    free(data);
    return consume;
}

Test(queue, one_message_is_the_head)
{
    struct client_msgq q;
    uint8_t buf[64];
    size_t n = 0;

    client_msgq_init(&q, MAX_MSG);
    frame(buf, &n, 10, 'a');
    cr_expect_eq(feed(&q, buf, n), 15, "the head is acknowledged as it arrives");
    cr_expect_eq(client_msgq_count(&q), 1);
    cr_expect_eq(client_msgq_backlog(&q), 0);
    cr_expect_eq(pop(&q, 10, 'a'), 0);
    cr_expect_eq(client_msgq_count(&q), 0);
    client_msgq_clear(&q);
}

Test(queue, messages_behind_the_head_wait_for_the_reader)
{
    struct client_msgq q;
    uint8_t buf[256];
    size_t n = 0;

    client_msgq_init(&q, MAX_MSG);
    frame(buf, &n, 10, 'a'); /* 15 bytes: the head */
    frame(buf, &n, 20, 'b'); /* 25 */
    frame(buf, &n, 0, 'c');  /* 5: an empty message */
    frame(buf, &n, 30, 'd'); /* 35, of which 12 arrive below */
    cr_expect_eq(feed(&q, buf, 15 + 25 + 5 + 12), 15);
    cr_expect_eq(client_msgq_count(&q), 3);
    cr_expect_eq(client_msgq_backlog(&q), 25 + 5 + 12);
    cr_expect(client_msgq_partial(&q));
    cr_expect_eq(pop(&q, 10, 'a'), 25, "b becomes the head");
    cr_expect_eq(pop(&q, 20, 'b'), 5);
    cr_expect_eq(pop(&q, 0, 'c'), 12, "the partial d becomes the head: what came of it");
    cr_expect_eq(client_msgq_backlog(&q), 0);
    cr_expect_eq(feed(&q, buf + 57, n - 57), 23, "the rest of the head at once");
    cr_expect_eq(pop(&q, 30, 'd'), 0);
    cr_expect_eq(client_msgq_count(&q), 0);
    cr_expect(!client_msgq_partial(&q));
    client_msgq_clear(&q);
}

/* A message larger than any window must still arrive: as the head it is
 * acknowledged piece by piece. */
Test(queue, a_large_head_is_acknowledged_piece_by_piece)
{
    struct client_msgq q;
    size_t len = 300000, n = 0, total = 0;
    uint8_t *buf = malloc(len + 64);

    cr_assert_not_null(buf);
    client_msgq_init(&q, MAX_MSG);
    frame(buf, &n, len, 'x');
    for (size_t off = 0; off < n; off += 16384) {
        size_t chunk = n - off < 16384 ? n - off : 16384;
        size_t c = feed(&q, buf + off, chunk);
        cr_expect_eq(c, chunk);
        total += c;
        cr_expect_eq(client_msgq_backlog(&q), 0);
    }
    cr_expect_eq(total, n);
    cr_expect_eq(pop(&q, len, 'x'), 0);
    client_msgq_clear(&q);
    free(buf);
}

Test(queue, split_at_every_byte)
{
    uint8_t buf[128];
    size_t n = 0;

    frame(buf, &n, 7, 'a');
    frame(buf, &n, 3, 'b');
    for (size_t cut = 0; cut <= n; cut++) {
        struct client_msgq q;
        client_msgq_init(&q, MAX_MSG);
        size_t c = feed(&q, buf, cut);
        c += feed(&q, buf + cut, n - cut);
        cr_expect_eq(c, 12, "cut %zu: only the head is acknowledged", cut);
        cr_expect_eq(client_msgq_backlog(&q), 8, "cut %zu", cut);
        cr_expect_eq(pop(&q, 7, 'a'), 8, "cut %zu", cut);
        cr_expect_eq(pop(&q, 3, 'b'), 0, "cut %zu", cut);
        client_msgq_clear(&q);
    }
}

struct error_case {
    uint8_t prefix[5];
    enum grpcwire_read want;
};

static const struct error_case error_cases[] = {
    {{1, 0, 0, 0, 2}, GRPCWIRE_COMPRESSED},
    {{7, 0, 0, 0, 2}, GRPCWIRE_BAD_FLAG},
    {{0, 0, 0x10, 0, 1}, GRPCWIRE_TOO_LARGE}, /* 1 MiB + 1 */
};

/* A bad message stops the queue; what came before stays readable and
 * nothing stays unacknowledged. */
Test(queue, errors_are_sticky_and_release_the_window)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        struct client_msgq q;
        uint8_t buf[64], tail[9] = "abcdefgh";
        size_t n = 0, consume = 0;
        client_msgq_init(&q, MAX_MSG);
        frame(buf, &n, 4, 'a');
        memcpy(buf + n, error_cases[i].prefix, 5);
        n += 5;
        cr_expect_eq(client_msgq_feed(&q, buf, n, &consume), error_cases[i].want, "case %zu", i);
        cr_expect_eq(consume, n, "case %zu: everything acknowledged", i);
        cr_expect_eq(client_msgq_backlog(&q), 0, "case %zu", i);
        cr_expect_eq(client_msgq_feed(&q, tail, 8, &consume), error_cases[i].want, "case %zu", i);
        cr_expect_eq(consume, 8, "case %zu: later bytes are dropped and acknowledged", i);
        cr_expect_eq(pop(&q, 4, 'a'), 0, "case %zu: the message before is kept", i);
        client_msgq_clear(&q);
    }
}

/* Random messages, random splits, reads at random moments: every byte is
 * acknowledged exactly once, the backlog is exactly what is held back, and
 * the head is never part of it. */
Test(queue, randomised_invariants)
{
    srand(2012);
    for (int round = 0; round < 200; round++) {
        struct client_msgq q;
        size_t nmsg = 1 + (size_t)rand() % 20, n = 0, fed = 0, acked = 0, popped = 0;
        size_t lens[20];
        uint8_t *buf = malloc(20 * (5 + 2000));
        cr_assert_not_null(buf);
        client_msgq_init(&q, MAX_MSG);
        for (size_t i = 0; i < nmsg; i++) {
            lens[i] = (size_t)rand() % 2000;
            frame(buf, &n, lens[i], (uint8_t)('a' + i));
        }
        while (fed < n || popped < nmsg) {
            if (fed < n && (rand() % 3 != 0 || client_msgq_count(&q) == 0)) {
                size_t chunk = 1 + (size_t)rand() % 700;
                chunk = chunk > n - fed ? n - fed : chunk;
                acked += feed(&q, buf + fed, chunk);
                fed += chunk;
            } else {
                acked += pop(&q, lens[popped], (uint8_t)('a' + popped));
                popped++;
            }
            cr_assert_eq(client_msgq_backlog(&q), fed - acked, "round %d", round);
        }
        cr_expect_eq(acked, n, "round %d: every byte acknowledged once", round);
        client_msgq_clear(&q);
        free(buf);
    }
}
