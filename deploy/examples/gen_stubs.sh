#!/bin/sh
# gen_stubs.sh: generates the Python message classes (*_pb2.py) and gRPC stubs
# (*_pb2_grpc.py, e.g. vigil.v1.exchange_pb2_grpc.ExchangeStub) of Vigil's API
# from proto/vigil/v1/*.proto into OUT_DIR, with Debian's protoc and
# grpc_python_plugin (packages protobuf-compiler, protobuf-compiler-grpc).
#
#   deploy/examples/gen_stubs.sh OUT_DIR [PROTO_DIR]
#
# PROTO_DIR defaults to the repository's proto/. Put OUT_DIR on PYTHONPATH (or
# pass it to partner_sync.py --stubs). Nothing generated is committed: run it
# again when proto/ changes. Another language: the same protoc line with that
# language's plugin (--cpp_out/--grpc_out, --java_out, --go_out, ...).
set -eu

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }
case "${1:-}" in
-h | --help)
    usage
    exit 0
    ;;
esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage >&2
    exit 2
fi
out=$1
proto=${2:-$(dirname "$0")/../../proto}
plugin=${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}

mkdir -p "$out"
protoc --python_out="$out" --grpc_python_out="$out" \
    --plugin=protoc-gen-grpc_python="$plugin" \
    -I "$proto" "$proto"/vigil/v1/*.proto
echo "gen_stubs.sh: stubs of $proto/vigil/v1/*.proto in $out"
