/* Timeouts: a client that sends nothing, or dribbles its handshake, is
 * dropped by its timeout while other clients are served; a connection left
 * idle is closed. */
#include "harness.h"

#include "vigil/v1/offices.pb-c.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static struct h_db db;
static struct h_daemon d;

static void start(const char *const *extra)
{
    h_db_create(&db);
    h_offices_register(&db);
    h_daemon_start(&d, &db, extra);
}

static void stop(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
}

static enum vigil_status whoami(struct vigil_client *c)
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum vigil_status st = vigil_call(c, "/vigil.v1.Offices/WhoAmI", &req.base,
                                      &vigil__v1__who_am_iresponse__descriptor, &resp, 5000);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return st;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Whether the server has closed fd (EOF or reset) before timeout_ms. */
static bool closed_within(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[256];
    long long end = h_now_ms() + timeout_ms;
    while (h_now_ms() < end) {
        if (poll(&p, 1, (int)(end - h_now_ms())) <= 0)
            return false;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            return true;
    }
    return false;
}

TestSuite(timeouts, .fini = stop, .timeout = 60);

Test(timeouts, silent_client_is_dropped_at_the_handshake_timeout)
{
    static const char *const extra[] = {"--handshake_timeout_ms=500", NULL};
    start(extra);
    long long t0 = h_now_ms();
    int fd = tcp_connect(d.port);
    /* Others are served meanwhile. */
    struct vigil_client *c = h_client(&d, "central", false);
    cr_assert_eq(whoami(c), VIGIL_OK);
    cr_assert(closed_within(fd, 3000), "a silent connection must be closed");
    long long took = h_now_ms() - t0;
    cr_assert_geq(took, 400, "closed after %lld ms, before its timeout", took);
    cr_assert(h_daemon_log_wait(&d, "handshake timeout", 2000));
    close(fd);
    vigil_client_free(c);
}

Test(timeouts, dribbling_handshake_is_dropped_and_others_served)
{
    static const char *const extra[] = {"--handshake_timeout_ms=600", NULL};
    start(extra);
    /* The first bytes of a TLS ClientHello record, one every 100 ms. */
    static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
                                          0xfc, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    int fd = tcp_connect(d.port);
    struct vigil_client *c = h_client(&d, "central", false);
    long long t0 = h_now_ms();
    bool dropped = false;
    for (size_t i = 0; i < sizeof(hello) && !dropped; i++) {
        if (send(fd, hello + i, 1, MSG_NOSIGNAL) != 1) {
            dropped = true;
            break;
        }
        cr_assert_eq(whoami(c), VIGIL_OK, "others are served while one dribbles");
        dropped = closed_within(fd, 100);
    }
    if (!dropped)
        dropped = closed_within(fd, 2000);
    cr_assert(dropped, "a dribbling handshake must be dropped");
    cr_assert_lt(h_now_ms() - t0, 2000);
    close(fd);
    vigil_client_free(c);
}

Test(timeouts, idle_connection_is_closed)
{
    static const char *const extra[] = {"--idle_timeout_ms=400", NULL};
    start(extra);
    struct vigil_client *c = h_client(&d, "central", false);
    cr_assert_eq(whoami(c), VIGIL_OK);
    h_sleep_ms(1200);
    cr_assert(h_daemon_log_wait(&d, "idle timeout", 2000), "%s", h_daemon_log_tail(&d));
    cr_assert_neq(whoami(c), VIGIL_OK, "the idle connection must have been closed");
    vigil_client_free(c);
    /* A busy connection is not idle: calls every 200 ms keep it open. */
    c = h_client(&d, "central", false);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(whoami(c), VIGIL_OK, "call %d", i);
        h_sleep_ms(200);
    }
    vigil_client_free(c);
}
