/* client_sock: the TCP side of libvigil. Splits "host:port", connects with a
 * deadline, and waits on a non-blocking socket until a deadline, so that the
 * blocking API of vigil.h never blocks longer than the caller allows. */
#ifndef VIGIL_CLIENT_SOCK_H
#define VIGIL_CLIENT_SOCK_H

#include "vigil.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deadlines are CLOCK_MONOTONIC instants in milliseconds. */
#define CLIENT_SOCK_NO_DEADLINE INT64_MAX

/* Now, on the monotonic clock, in milliseconds. */
int64_t client_sock_now_ms(void);

/* The instant timeout_ms from now; CLIENT_SOCK_NO_DEADLINE when timeout_ms <= 0. */
int64_t client_sock_deadline(int timeout_ms);

/* Splits "host:port" or "[v6]:port" into host (without brackets) and port.
 * Returns false when the form is wrong or a part does not fit its buffer. */
bool client_sock_split_address(const char *address, char *host, size_t hcap, char *port,
                               size_t pcap);

/* True when host is an IPv4 or IPv6 literal (no brackets). */
bool client_sock_is_ip_literal(const char *host);

/* Resolves host and port and connects to the first address that answers
 * before the deadline. Name resolution itself (getaddrinfo) is not bounded by
 * the deadline. On VIGIL_OK *fd is a connected, non-blocking, close-on-exec
 * TCP socket with TCP_NODELAY, owned by the caller. Errors: VIGIL_E_CONNECT
 * (resolution failed, every connect failed, or the deadline passed); a
 * message naming the address goes to err (cap bytes). */
enum vigil_status client_sock_connect(const char *host, const char *port, int64_t deadline, int *fd,
                                      char *err, size_t cap);

/* Waits until fd is ready for events (POLLIN and/or POLLOUT) or the deadline
 * passes. Returns VIGIL_OK when ready (or on POLLERR/POLLHUP, which the next
 * read or write reports), VIGIL_E_DEADLINE, or VIGIL_E_CONNECT when poll fails. */
enum vigil_status client_sock_wait(int fd, short events, int64_t deadline);

#endif
