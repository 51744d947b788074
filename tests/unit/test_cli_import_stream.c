/* Unit tests of libvigil's streaming calls (vigil_stream_*), which vigil
 * import and export stand on, against an independent gRPC server: Python
 * grpcio (Debian's python3-grpcio), started per test on port 0 with a
 * throwaway self-signed certificate, serving raw bytes (no generated code):
 *   test.Stream/Bidi  echoes every request message, one at a time: it sends
 *                     an answer before it reads the next request and stops
 *                     reading while an answer cannot leave (grpcio's flow
 *                     control), the server the design must not deadlock with
 *   test.Stream/Many  "N,SIZE" -> N messages of SIZE bytes, numbered
 *   test.Stream/Fail  one message, then FAILED_PRECONDITION
 *   test.Stream/Slow  one message after 3 s
 * Messages are vigil.v1.ImportRequest with only ref set (field 3), which the
 * server builds by hand. No PostgreSQL, no vigild. */
#include "vigil.h"

#include "vigil/v1/exchange.pb-c.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WINDOW (1u << 20) /* libvigil's stream window: the bound of unread messages */

static const char server_py[] =
    "import os, sys, time\n"
    "from concurrent import futures\n"
    "import grpc\n"
    "def ref_msg(text):\n"
    "    b = text.encode()\n"
    "    n, v = len(b), bytearray()\n"
    "    while True:\n"
    "        if n < 0x80:\n"
    "            v.append(n)\n"
    "            break\n"
    "        v.append((n & 0x7F) | 0x80)\n"
    "        n >>= 7\n"
    "    return b'\\x1a' + bytes(v) + b\n"
    "def bidi(requests, ctx):\n"
    "    for m in requests:\n"
    "        yield m\n"
    "def many(request, ctx):\n"
    "    count, size = (int(x) for x in request[2:].decode().split(','))\n"
    "    for i in range(count):\n"
    "        yield ref_msg('%06d' % i + 'x' * size)\n"
    "def fail(request, ctx):\n"
    "    yield ref_msg('one')\n"
    "    ctx.abort(grpc.StatusCode.FAILED_PRECONDITION, 'entries[2].level: not now')\n"
    "def slow(request, ctx):\n"
    "    time.sleep(3)\n"
    "    yield ref_msg('late')\n"
    "port_file, cert, key = sys.argv[1:4]\n"
    "handler = grpc.method_handlers_generic_handler('test.Stream', {\n"
    "    'Bidi': grpc.stream_stream_rpc_method_handler(bidi),\n"
    "    'Many': grpc.unary_stream_rpc_method_handler(many),\n"
    "    'Fail': grpc.unary_stream_rpc_method_handler(fail),\n"
    "    'Slow': grpc.unary_stream_rpc_method_handler(slow),\n"
    "})\n"
    "server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),\n"
    "                     options=[('grpc.max_receive_message_length', 64 << 20),\n"
    "                              ('grpc.max_send_message_length', 64 << 20)])\n"
    "server.add_generic_rpc_handlers((handler,))\n"
    "creds = grpc.ssl_server_credentials([(open(key, 'rb').read(), open(cert, 'rb').read())])\n"
    "port = server.add_secure_port('127.0.0.1:0', creds)\n"
    "server.start()\n"
    "with open(port_file + '.tmp', 'w') as f:\n"
    "    f.write('%d\\n' % port)\n"
    "os.rename(port_file + '.tmp', port_file)\n"
    "server.wait_for_termination()\n";

static char dir[128]; /* /tmp/vigil-stream-test.XXXXXX */
static pid_t server_pid;
static struct vigil_client *client;

static void path(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
    char p[PATH_MAX];
    FILE *f;

    path(p, name);
    f = fopen(p, "w");
    cr_assert_not_null(f, "cannot write %s", p);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static void make_certificate(void)
{
    char cmd[4 * PATH_MAX];

    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout %s/key.pem -out %s/cert.pem -days 1 -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >%s/openssl.log 2>&1",
             dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "openssl failed (see %s/openssl.log)", dir);
}

static void start_server(void)
{
    char script[PATH_MAX], port_file[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], log[PATH_MAX];

    path(script, "server.py");
    path(port_file, "port");
    path(cert, "cert.pem");
    path(key, "key.pem");
    path(log, "server.log");
    server_pid = fork();
    cr_assert(server_pid >= 0);
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (freopen(log, "w", stderr) == NULL)
            _exit(126);
        execl("/usr/bin/python3", "python3", script, port_file, cert, key, (char *)NULL);
        _exit(127);
    }
}

/* The server's port, once it wrote it. */
static int wait_port(void)
{
    char port_file[PATH_MAX];
    int port = 0, status;

    path(port_file, "port");
    for (int i = 0; i < 200 && port == 0; i++) {
        FILE *f = fopen(port_file, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        } else {
            cr_assert_eq(waitpid(server_pid, &status, WNOHANG), 0,
                         "the Python grpcio server exited (see %s/server.log)", dir);
            usleep(50 * 1000);
        }
    }
    cr_assert(port > 0, "the Python grpcio server did not start (see %s/server.log)", dir);
    return port;
}

static void setup(void)
{
    char address[64], ca[PATH_MAX], err[1024];
    enum vigil_status st;

    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1") != 0)
        cr_skip_test("needs /usr/bin/python3 with grpcio (deploy/install-deps.sh)");
    snprintf(dir, sizeof(dir), "/tmp/vigil-stream-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    make_certificate();
    write_text("server.py", server_py);
    start_server();
    snprintf(address, sizeof(address), "127.0.0.1:%d", wait_port());
    path(ca, "cert.pem");
    struct vigil_options o = {.address = address, .ca_file = ca, .connect_timeout_ms = 10000};
    client = vigil_client_new(&o, &st, err, sizeof(err));
    cr_assert_not_null(client, "connect: %s: %s", vigil_strerror(st), err);
}

static void teardown(void)
{
    char cmd[sizeof(dir) + 16];

    vigil_client_free(client);
    client = NULL;
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    if (dir[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void)system(cmd);
    }
}

TestSuite(stream, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ---- */

/* A message whose ref is "%06d" of n followed by size bytes of fill. */
static char *ref_text(int n, size_t size, char fill)
{
    char *s = malloc(size + 8);

    cr_assert_not_null(s);
    snprintf(s, 8, "%06d", n);
    memset(s + 6, fill, size);
    s[6 + size] = '\0';
    return s;
}

static enum vigil_status send_ref(struct vigil_stream *s, const char *ref)
{
    Vigil__V1__ImportRequest m = VIGIL__V1__IMPORT_REQUEST__INIT;

    m.ref = (char *)ref;
    return vigil_stream_send(s, &m.base);
}

/* Receives one message and checks that its ref is number n of size bytes. */
static void expect_ref(struct vigil_stream *s, int n, size_t size, char fill)
{
    ProtobufCMessage *m;
    enum vigil_status st = vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m);

    cr_assert_eq(st, VIGIL_OK, "message %d: %s: %s", n, vigil_strerror(st), vigil_errmsg(client));
    const char *ref = ((Vigil__V1__ImportRequest *)m)->ref;
    char want[8];
    snprintf(want, sizeof(want), "%06d", n);
    cr_assert_eq(strlen(ref), size + 6, "message %d: %zu bytes", n, strlen(ref));
    cr_assert(strncmp(ref, want, 6) == 0, "message %.6s, expected %s", ref, want);
    cr_assert(ref[6 + size / 2] == fill && ref[5 + size] == fill, "message %d: content", n);
    protobuf_c_message_free_unpacked(m, NULL);
}

static struct vigil_stream *open_many(int count, size_t size, int wait_ms)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(client, "/test.Stream/Many", 0, &st);
    char ask[32];

    cr_assert_not_null(s, "open: %s: %s", vigil_strerror(st), vigil_errmsg(client));
    vigil_stream_set_wait(s, wait_ms);
    snprintf(ask, sizeof(ask), "%d,%zu", count, size);
    cr_assert_eq(send_ref(s, ask), VIGIL_OK, "%s", vigil_errmsg(client));
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK, "%s", vigil_errmsg(client));
    return s;
}

static void expect_end(struct vigil_stream *s)
{
    ProtobufCMessage *m;
    enum vigil_status st = vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m);

    cr_assert_eq(st, VIGIL_END, "end: %s: %s", vigil_strerror(st), vigil_errmsg(client));
    cr_assert_null(m);
    cr_assert_eq(vigil_rpc_code(client), 0);
    cr_assert_eq(vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m), VIGIL_END,
                 "the end is sticky");
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- tests ---- */

/* 32 MiB through an echo that stops reading while its answers cannot leave:
 * sending only (reading only when told to) must neither deadlock nor keep
 * more than the window of answers. */
Test(stream, bidi_echo_cannot_deadlock)
{
    const int n = 128;
    const size_t size = 256 * 1024;
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(client, "/test.Stream/Bidi", 0, &st);
    int received = 0, agains = 0;

    cr_assert_not_null(s, "%s", vigil_errmsg(client));
    vigil_stream_set_wait(s, 20000);
    for (int i = 0; i < n; i++) {
        char *ref = ref_text(i, size, 'y');
        while ((st = send_ref(s, ref)) == VIGIL_AGAIN) {
            agains++;
            size_t ready = vigil_stream_ready(s);
            cr_assert(ready > 0, "VIGIL_AGAIN with no answer to read");
            cr_assert(ready * size <= WINDOW + size, "%zu answers held: more than the window",
                      ready);
            expect_ref(s, received++, size, 'y');
        }
        free(ref);
        cr_assert_eq(st, VIGIL_OK, "send %d: %s: %s", i, vigil_strerror(st), vigil_errmsg(client));
    }
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK, "%s", vigil_errmsg(client));
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK, "a second close_send does nothing");
    while (received < n)
        expect_ref(s, received++, size, 'y');
    expect_end(s);
    cr_log_info("bidi: %d VIGIL_AGAIN while sending %d x %zu bytes", agains, n, size);
    cr_expect(agains > 0, "the server never waited for us: the test proves nothing");
    vigil_stream_free(s);
}

/* More than the connection window (16 MiB) read message by message: bytes
 * are acknowledged as they are read, so the server is never stuck. */
Test(stream, server_stream_beyond_the_windows)
{
    struct vigil_stream *s = open_many(300, 64 * 1024, 10000);

    for (int i = 0; i < 300; i++)
        expect_ref(s, i, 64 * 1024, 'x');
    expect_end(s);
    vigil_stream_free(s);
}

/* The server's error comes after its messages, as gRPC says. */
Test(stream, error_after_messages)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(client, "/test.Stream/Fail", 0, &st);
    ProtobufCMessage *m;

    cr_assert_not_null(s);
    cr_assert_eq(send_ref(s, "go"), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    cr_assert_eq(vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m), VIGIL_OK, "%s",
                 vigil_errmsg(client));
    cr_expect_str_eq(((Vigil__V1__ImportRequest *)m)->ref, "one");
    protobuf_c_message_free_unpacked(m, NULL);
    st = vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m);
    cr_assert_eq(st, VIGIL_E_RPC, "%s", vigil_strerror(st));
    cr_expect_eq(vigil_rpc_code(client), 9);
    cr_expect_str_eq(vigil_errmsg(client), "entries[2].level: not now");
    cr_expect_eq(send_ref(s, "more"), VIGIL_E_RPC, "the failure is sticky");
    vigil_stream_free(s);
}

/* One call at a time; a stream freed early is reset, and what the server
 * still sends for it is dropped without using up the connection's window. */
Test(stream, one_call_at_a_time_and_reset)
{
    struct vigil_stream *s = open_many(1000, 64 * 1024, 10000);
    Vigil__V1__ImportRequest req = VIGIL__V1__IMPORT_REQUEST__INIT;
    ProtobufCMessage *resp = (ProtobufCMessage *)&req;
    enum vigil_status st;

    expect_ref(s, 0, 64 * 1024, 'x');
    cr_expect_eq(vigil_call(client, "/test.Stream/Bidi", &req.base,
                            &vigil__v1__import_request__descriptor, &resp, 1000),
                 VIGIL_E_USAGE);
    cr_expect_null(resp);
    cr_expect_null(vigil_stream_open(client, "/test.Stream/Many", 0, &st));
    cr_expect_eq(st, VIGIL_E_USAGE);
    vigil_stream_free(s); /* 60 MiB not read: RST_STREAM CANCEL */
    s = open_many(300, 64 * 1024, 10000);
    for (int i = 0; i < 300; i++)
        expect_ref(s, i, 64 * 1024, 'x');
    expect_end(s);
    vigil_stream_free(s);
}

/* A wait bound cancels the call, not the connection. */
Test(stream, wait_bound)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(client, "/test.Stream/Slow", 0, &st);
    ProtobufCMessage *m;

    cr_assert_not_null(s);
    vigil_stream_set_wait(s, 300);
    cr_assert_eq(send_ref(s, "go"), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    long long t0 = now_ms();
    st = vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m);
    long long took = now_ms() - t0;
    cr_assert_eq(st, VIGIL_E_DEADLINE, "%s: %s", vigil_strerror(st), vigil_errmsg(client));
    cr_expect(took >= 250 && took < 2500, "took %lld ms", took);
    cr_expect(strstr(vigil_errmsg(client), "300 ms") != NULL, "%s", vigil_errmsg(client));
    cr_expect_eq(vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m), VIGIL_E_DEADLINE,
                 "sticky");
    vigil_stream_free(s);
    s = open_many(2, 10, 10000);
    expect_ref(s, 0, 10, 'x');
    expect_ref(s, 1, 10, 'x');
    expect_end(s);
    vigil_stream_free(s);
}

/* The call's own deadline: ours, or the server's (grpc-timeout), whichever
 * tells first. */
Test(stream, call_deadline)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(client, "/test.Stream/Slow", 400, &st);
    ProtobufCMessage *m;

    cr_assert_not_null(s);
    cr_assert_eq(send_ref(s, "go"), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    st = vigil_stream_recv(s, &vigil__v1__import_request__descriptor, &m);
    cr_assert(st == VIGIL_E_DEADLINE || (st == VIGIL_E_RPC && vigil_rpc_code(client) == 4),
              "%s (%d): %s", vigil_strerror(st), vigil_rpc_code(client), vigil_errmsg(client));
    vigil_stream_free(s);
}

Test(stream, usage)
{
    enum vigil_status st;
    struct vigil_stream *s;
    ProtobufCMessage *m;

    cr_expect_null(vigil_stream_open(client, "no-slash", 0, &st));
    cr_expect_eq(st, VIGIL_E_USAGE);
    cr_expect_null(vigil_stream_open(NULL, "/test.Stream/Many", 0, &st));
    cr_expect_eq(st, VIGIL_E_USAGE);
    s = open_many(1, 1, 10000);
    cr_expect_eq(vigil_stream_send(s, NULL), VIGIL_E_USAGE);
    cr_expect_eq(send_ref(s, "after close"), VIGIL_E_USAGE);
    cr_expect_eq(vigil_stream_recv(s, NULL, &m), VIGIL_E_USAGE);
    expect_ref(s, 0, 1, 'x');
    expect_end(s);
    vigil_stream_free(s);
    vigil_stream_free(NULL);
    cr_expect_eq(vigil_stream_ready(NULL), 0);
}
