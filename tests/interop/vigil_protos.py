"""vigil_protos: message classes generated from proto/ at run time, for the
Python test clients of tests/interop (Debian's protoc and python3-protobuf;
no grpc_tools). Nothing generated is kept: each run writes into a
temporary directory of the caller's."""

import os
import shutil
import subprocess
import sys

DEFAULT_PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")

# What exchange.proto needs, in import order.
EXCHANGE = ["vigil/v1/catalog.proto", "vigil/v1/assessments.proto", "vigil/v1/rankings.proto",
            "vigil/v1/exchange.proto"]


def generate(proto_dir, out_dir, protos):
    """Runs protoc --python_out for protos (paths below proto_dir) into
    out_dir and puts out_dir first on sys.path. Exits 2 when protoc fails."""
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    cmd = [protoc, "--python_out=" + out_dir, "-I", os.path.abspath(proto_dir)] + protos
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write("protoc failed: %s\n%s" % (" ".join(cmd), r.stderr))
        sys.exit(2)
    sys.path.insert(0, out_dir)
