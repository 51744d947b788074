#!/usr/bin/python3
"""export_reader.py: reads vigil.v1.Exchange/Export of one cycle (or, with
--feed, the whole change feed), optionally slowly, for
tests/integration/test_exchange_memory.c.

Prints one line "records=N assessments=N evidence=N bytes=N cursor=C" at the
end (bytes: the serialised size of every record received) and exits 0 when
the stream ended OK with END counts matching what arrived; 1 otherwise.
--delay sleeps that many seconds after each assessment record: a slow
consumer, which the server must hold back by flow control, not buffer for.
"""

import argparse
import importlib
import sys
import tempfile
import time

import vigil_protos



def main(argv):
    p = argparse.ArgumentParser(description="Read one cycle's export, optionally slowly.")
    p.add_argument("--address", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cycle", help="the cycle to export")
    p.add_argument("--feed", action="store_true",
                   help="read the change feed from the beginning instead (no follow)")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds after each assessment (export) or revision (feed)")
    p.add_argument("--proto-dir", default=vigil_protos.DEFAULT_PROTO_DIR)
    a = p.parse_args(argv)
    if bool(a.cycle) == a.feed:
        p.error("give --cycle or --feed")
    import grpc

    with tempfile.TemporaryDirectory(prefix="vigil-export-") as out_dir:
        vigil_protos.generate(a.proto_dir, out_dir, vigil_protos.EXCHANGE)
        ex = importlib.import_module("vigil.v1.exchange_pb2")

        def read(path):
            with open(path, "rb") as f:
                return f.read()

        creds = grpc.ssl_channel_credentials(read(a.ca), read(a.key), read(a.cert))
        options = [("grpc.ssl_target_name_override", "localhost"),
                   ("grpc.default_authority", "localhost"),
                   ("grpc.max_receive_message_length", 64 << 20)]
        with grpc.secure_channel(a.address, creds, options=options) as ch:
            if a.feed:
                return read_feed(grpc, ch, ex, a.delay)
            export = ch.unary_stream("/vigil.v1.Exchange/Export",
                                     request_serializer=ex.ExportRequest.SerializeToString,
                                     response_deserializer=ex.ExportRecord.FromString)
            records = assessments = evidence = size = 0
            end = None
            try:
                for rec in export(ex.ExportRequest(cycle=a.cycle), timeout=600):
                    records += 1
                    size += rec.ByteSize()
                    if rec.kind == ex.EXPORT_RECORD_KIND_ASSESSMENT:
                        assessments += 1
                        evidence += sum(len(e.evidence) for e in rec.revision.entries)
                        if a.delay:
                            time.sleep(a.delay)
                    elif rec.kind == ex.EXPORT_RECORD_KIND_END:
                        end = rec.header
            except grpc.RpcError as e:
                sys.stderr.write("export failed: %s %s\n" % (e.code(), e.details()))
                return 1
        print("records=%d assessments=%d evidence=%d bytes=%d cursor=%s" %
              (records, assessments, evidence, size, end.cursor if end else "-"))
        if end is None or end.assessments != assessments or end.evidence != evidence:
            sys.stderr.write("END missing or its counts differ from what arrived\n")
            return 1
        return 0


def read_feed(grpc, ch, ex, delay):
    """The whole feed without follow; prints the same summary line."""
    changes = ch.unary_stream("/vigil.v1.Exchange/Changes",
                              request_serializer=ex.ChangesRequest.SerializeToString,
                              response_deserializer=ex.Change.FromString)
    records = revisions = evidence = size = 0
    cursor = "-"
    try:
        for c in changes(ex.ChangesRequest(), timeout=600):
            records += 1
            size += c.ByteSize()
            cursor = c.cursor
            if c.kind == ex.CHANGE_KIND_REVISION_PUBLISHED:
                revisions += 1
                evidence += sum(len(e.evidence) for e in c.revision.entries)
                if delay:
                    time.sleep(delay)
    except grpc.RpcError as e:
        sys.stderr.write("feed failed: %s %s\n" % (e.code(), e.details()))
        return 1
    print("records=%d assessments=%d evidence=%d bytes=%d cursor=%s" %
          (records, revisions, evidence, size, cursor))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
