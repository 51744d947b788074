#!/usr/bin/python3
"""feed_consumer.py: the restless consumer of tests/integration/test_exchange_feed.c.

Follows vigil.v1.Exchange/Changes (follow, optionally include_approvals) and
disconnects at random points: after a random number of changes it cancels the
call, and every few times closes the whole channel (a new TCP and TLS
connection), then resumes from the last cursor it processed. Every change
received is appended to --out as one line "CURSOR KIND CYCLE VERSION STATE"
(flushed), so the test can compare what it received with what was committed.

It stops once the file --stop exists and, after that, a fresh subscription
reports CAUGHT_UP: everything committed before that subscription started has
then been delivered. Exit 0 then; 1 on an unexpected RPC error; 2 on usage.
Message classes are generated at run time (vigil_protos.py).
"""

import argparse
import importlib
import os
import random
import sys
import tempfile
import time

import vigil_protos



def parse_args(argv):
    p = argparse.ArgumentParser(description="Follow the change feed, disconnecting at random.")
    p.add_argument("--address", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--proto-dir", default=vigil_protos.DEFAULT_PROTO_DIR)
    p.add_argument("--out", required=True, help="file the received changes are appended to")
    p.add_argument("--stop", required=True, help="stop once this file exists and caught up")
    p.add_argument("--approvals", action="store_true", help="include_approvals (central)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-run", type=int, default=25, help="most changes read per connection")
    p.add_argument("--deadline", type=float, default=240.0, help="give up after this, seconds")
    return p.parse_args(argv)


def read(path):
    with open(path, "rb") as f:
        return f.read() if path else None


def main(argv):
    args = parse_args(argv)
    import grpc

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="vigil-feed-") as out_dir:
        vigil_protos.generate(args.proto_dir, out_dir, vigil_protos.EXCHANGE)
        ex = importlib.import_module("vigil.v1.exchange_pb2")
        creds = grpc.ssl_channel_credentials(
            root_certificates=read(args.ca),
            private_key=read(args.key) if args.key else None,
            certificate_chain=read(args.cert) if args.cert else None)
        options = [("grpc.ssl_target_name_override", args.server_name),
                   ("grpc.default_authority", args.server_name)]
        kinds = {v: k[len("CHANGE_KIND_"):].lower() for k, v in ex.ChangeKind.items()}
        cursor = ""
        out = open(args.out, "a", encoding="utf-8")
        started = time.monotonic()
        channel = None
        subscriptions = 0
        while time.monotonic() - started < args.deadline:
            if channel is None or rng.random() < 0.3:
                if channel is not None:
                    channel.close()
                channel = grpc.secure_channel(args.address, creds, options=options)
            changes = channel.unary_stream(
                "/vigil.v1.Exchange/Changes",
                request_serializer=ex.ChangesRequest.SerializeToString,
                response_deserializer=ex.Change.FromString)
            stopping = os.path.exists(args.stop)
            budget = rng.randint(1, args.max_run)
            subscriptions += 1
            # A deadline ends a subscription that idles once caught up, so
            # the stop file is seen; the server's deadline also cuts streams.
            call = changes(ex.ChangesRequest(after=cursor, follow=True,
                                             include_approvals=args.approvals),
                           timeout=rng.uniform(0.5, 3.0))
            try:
                for ch in call:
                    if ch.kind == ex.CHANGE_KIND_CAUGHT_UP:
                        if stopping:
                            call.cancel()
                            channel.close()
                            out.close()
                            sys.stderr.write("feed_consumer: caught up at %s after %d "
                                             "subscriptions\n" % (cursor, subscriptions))
                            return 0
                        if os.path.exists(args.stop):
                            break  # resubscribe: the next CAUGHT_UP counts
                        continue
                    out.write("%s %s %s %d %s\n" % (ch.cursor, kinds.get(ch.kind, ch.kind),
                                                     ch.cycle, ch.version, ch.state or "-"))
                    out.flush()
                    cursor = ch.cursor
                    budget -= 1
                    if budget <= 0:
                        break  # disconnect at a random point
            except grpc.RpcError as e:
                if e.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED):
                    pass
                elif e.code() == grpc.StatusCode.UNAVAILABLE:
                    time.sleep(0.05)
                else:
                    sys.stderr.write("feed_consumer: rpc error %s: %s\n" % (e.code(), e.details()))
                    return 1
            finally:
                call.cancel()
        sys.stderr.write("feed_consumer: deadline passed\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
