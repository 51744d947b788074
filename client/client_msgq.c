/* client_msgq: received messages of a streaming call and the bytes that may
 * be acknowledged to the server (see client_msgq.h). Invariant: the head
 * (the oldest complete message, else the partial one) has no unacknowledged
 * byte; everything behind it is counted in the backlog. */
#include "client_msgq.h"

#include <stdlib.h>

struct client_msgq_msg {
    uint8_t *data; /* the message (owned; never NULL) */
    size_t len;
    size_t unconsumed; /* its bytes not yet acknowledged */
    struct client_msgq_msg *next;
};

void client_msgq_init(struct client_msgq *q, size_t max_message)
{
    *q = (struct client_msgq){.error = GRPCWIRE_NEED_MORE};
    grpcwire_reader_init(&q->reader, max_message);
}

void client_msgq_clear(struct client_msgq *q)
{
    size_t max = q->reader.max_len;

    while (q->head != NULL) {
        struct client_msgq_msg *m = q->head;
        q->head = m->next;
        free(m->data);
        free(m);
    }
    grpcwire_reader_clear(&q->reader);
    client_msgq_init(q, max);
}

/* The reader holds a whole message: queue it and start the next. */
static bool complete(struct client_msgq *q)
{
    struct client_msgq_msg *m = malloc(sizeof(*m));
    size_t max = q->reader.max_len;

    if (m == NULL)
        return false;
    /* The reader's buffer becomes the message's: no copy of a large one. */
    *m = (struct client_msgq_msg){q->reader.body, q->reader.body_len, q->partial_unconsumed, NULL};
    q->reader.body = NULL;
    grpcwire_reader_init(&q->reader, max);
    q->partial_wire = q->partial_unconsumed = 0;
    if (q->tail != NULL)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->count++;
    return true;
}

/* Counts used bytes of the partial message: acknowledged at once when it is
 * the head, else held back. */
static void account(struct client_msgq *q, size_t used, size_t *consume)
{
    q->partial_wire += used;
    if (q->count == 0) {
        *consume += used;
    } else {
        q->partial_unconsumed += used;
        q->backlog += used;
    }
}

/* After an error nothing more will be read: release what is held back of
 * the partial message along with the rest of the input. */
static enum grpcwire_read fail(struct client_msgq *q, enum grpcwire_read rd, size_t rest,
                               size_t *consume)
{
    q->error = rd;
    *consume += rest + q->partial_unconsumed;
    q->backlog -= q->partial_unconsumed;
    q->partial_unconsumed = 0;
    return rd;
}

enum grpcwire_read client_msgq_feed(struct client_msgq *q, const uint8_t *data, size_t len,
                                    size_t *consume)
{
    *consume = 0;
    if (q->error != GRPCWIRE_NEED_MORE) {
        *consume = len;
        return q->error;
    }
    while (len > 0) {
        size_t used = 0;
        enum grpcwire_read rd = grpcwire_reader_feed(&q->reader, data, len, &used);
        account(q, used, consume);
        data += used;
        len -= used;
        if (rd == GRPCWIRE_MESSAGE && !complete(q))
            rd = GRPCWIRE_NOMEM;
        if (rd != GRPCWIRE_NEED_MORE && rd != GRPCWIRE_MESSAGE)
            return fail(q, rd, len, consume);
    }
    return GRPCWIRE_NEED_MORE;
}

bool client_msgq_pop(struct client_msgq *q, uint8_t **data, size_t *len, size_t *consume)
{
    struct client_msgq_msg *m = q->head;

    *consume = 0;
    if (m == NULL)
        return false;
    q->head = m->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->count--;
    *data = m->data;
    *len = m->len;
    free(m);
    /* The next message becomes the head: the server may send past it now. */
    size_t *held = q->head != NULL ? &q->head->unconsumed : &q->partial_unconsumed;
    *consume = *held;
    q->backlog -= *held;
    *held = 0;
    return true;
}

size_t client_msgq_count(const struct client_msgq *q)
{
    return q->count;
}

size_t client_msgq_backlog(const struct client_msgq *q)
{
    return q->backlog;
}

bool client_msgq_partial(const struct client_msgq *q)
{
    return q->partial_wire > 0;
}
