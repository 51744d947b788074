#!/usr/bin/python3
"""import_flood.py: a client that sends a vigil.v1.Exchange/Import stream as
fast as it can while not reading the results for --pause seconds, for
tests/integration/test_exchange_memory.c: the daemon must hold it back by
HTTP/2 flow control (it takes a record only once the results before it can
leave), not buffer what arrives.

Each record is a dry-run Submit of about --kb kilobytes (its entries name
no indicator of any methodology, so each is refused INVALID_ARGUMENT, one
result per record). Prints "sent=N results=N refused=N" and exits 0 when
every record got its result, in order; 1 otherwise.
"""

import argparse
import importlib
import sys
import tempfile
import time

import vigil_protos


def main(argv):
    p = argparse.ArgumentParser(description="Flood Exchange/Import without reading results.")
    p.add_argument("--address", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cycle", required=True)
    p.add_argument("--records", type=int, default=1000)
    p.add_argument("--kb", type=int, default=64, help="size of each record, kilobytes")
    p.add_argument("--pause", type=float, default=5.0, help="seconds before reading results")
    p.add_argument("--proto-dir", default=vigil_protos.DEFAULT_PROTO_DIR)
    a = p.parse_args(argv)
    import grpc

    with tempfile.TemporaryDirectory(prefix="vigil-flood-") as out_dir:
        vigil_protos.generate(a.proto_dir, out_dir, vigil_protos.EXCHANGE)
        ex = importlib.import_module("vigil.v1.exchange_pb2")
        asm = importlib.import_module("vigil.v1.assessments_pb2")

        def read(path):
            with open(path, "rb") as f:
                return f.read()

        text = "x" * 1000
        entries = [asm.Entry(indicator="NOPE.%d" % j, level="yes", justification=text)
                   for j in range(a.kb)]

        def records():
            for i in range(a.records):
                yield ex.ImportRequest(
                    record=asm.SubmitRequest(request_id="flood-%d" % i, state="DE",
                                             cycle=a.cycle, entries=entries),
                    dry_run=True, ref="flood:%d" % i)

        creds = grpc.ssl_channel_credentials(read(a.ca), read(a.key), read(a.cert))
        options = [("grpc.ssl_target_name_override", "localhost"),
                   ("grpc.default_authority", "localhost")]
        with grpc.secure_channel(a.address, creds, options=options) as ch:
            imp = ch.stream_stream("/vigil.v1.Exchange/Import",
                                   request_serializer=ex.ImportRequest.SerializeToString,
                                   response_deserializer=ex.ImportResult.FromString)
            results = imp(records(), timeout=600)
            time.sleep(a.pause)  # the client sends; nobody reads the results
            n = refused = 0
            try:
                for r in results:
                    if r.index != n or r.ref != "flood:%d" % n:
                        sys.stderr.write("result %d out of order: %s\n" % (n, r))
                        return 1
                    n += 1
                    refused += r.code != 0
            except grpc.RpcError as e:
                sys.stderr.write("import failed: %s %s\n" % (e.code(), e.details()))
                return 1
        print("sent=%d results=%d refused=%d" % (a.records, n, refused))
        return 0 if n == a.records else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
