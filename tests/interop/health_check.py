#!/usr/bin/python3
"""health_check.py: an independent gRPC client of Vigil (Debian's python3-grpcio).

Proves interoperability with a stack that shares no code with libvigil: the
message classes are generated from proto/ at run time with `protoc
--python_out` (no grpc_tools), and the calls go through grpcio's generic
channel.unary_unary. Calls grpc.health.v1.Health/Check and, when a client
certificate is given, vigil.v1.Offices/WhoAmI.

Prints `status=SERVING` and `office=NAME role=ROLE`; exits 0 when the server is
SERVING (and WhoAmI, if called, succeeded), 1 otherwise, 2 on usage errors.
On an RPC error prints `rpc=METHOD code=CODE details=...` on stderr.
Run it with /usr/bin/python3: another python3 earlier on PATH may lack grpcio.
"""

import argparse
import importlib
import importlib.util
import os
import sys
import tempfile

import vigil_protos

PROTOS = ["grpc/health/v1/health.proto", "vigil/v1/offices.proto"]
DEFAULT_PROTO_DIR = vigil_protos.DEFAULT_PROTO_DIR


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Call Vigil's Health/Check and Offices/WhoAmI with Python grpcio.")
    p.add_argument("--address", required=True, help="host:port of vigild")
    p.add_argument("--ca", required=True, help="CA certificate (PEM) the server must chain to")
    p.add_argument("--cert", help="client certificate (PEM); omit for the public listener")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--server-name", default="localhost",
                   help="name checked against the server certificate (default localhost)")
    p.add_argument("--proto-dir", default=DEFAULT_PROTO_DIR, help="the repository's proto/")
    p.add_argument("--timeout", type=float, default=10.0, help="deadline of each call, seconds")
    p.add_argument("--no-whoami", action="store_true", help="only call Health/Check")
    a = p.parse_args(argv)
    if bool(a.cert) != bool(a.key):
        p.error("--cert and --key go together")
    return a


def generate(proto_dir, out_dir):
    """Runs protoc --python_out and imports the generated modules."""
    vigil_protos.generate(proto_dir, out_dir, PROTOS)
    # The generated packages are grpc/health/v1 and vigil/v1; a package "grpc"
    # would clash with grpcio itself, so the health module is loaded from its file.
    spec = importlib.util.spec_from_file_location(
        "vigil_interop_health_pb2", os.path.join(out_dir, "grpc", "health", "v1", "health_pb2.py"))
    health = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(health)
    offices = importlib.import_module("vigil.v1.offices_pb2")
    return health, offices


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    args = parse_args(argv)
    import grpc  # grpcio; imported before the generated modules touch sys.path

    with tempfile.TemporaryDirectory(prefix="vigil-interop-") as out_dir:
        health, offices = generate(os.path.abspath(args.proto_dir), out_dir)

        creds = grpc.ssl_channel_credentials(
            root_certificates=read(args.ca),
            private_key=read(args.key) if args.key else None,
            certificate_chain=read(args.cert) if args.cert else None)
        options = [("grpc.ssl_target_name_override", args.server_name),
                   ("grpc.default_authority", args.server_name)]
        ok = True
        with grpc.secure_channel(args.address, creds, options=options) as channel:
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health.HealthCheckRequest.SerializeToString,
                response_deserializer=health.HealthCheckResponse.FromString)
            try:
                resp = check(health.HealthCheckRequest(service=""), timeout=args.timeout)
            except grpc.RpcError as e:
                report("Health/Check", e)
                return 1
            status = health.HealthCheckResponse.ServingStatus.Name(resp.status)
            print("status=%s" % status)
            ok = resp.status == health.HealthCheckResponse.SERVING

            if args.cert and not args.no_whoami:
                whoami = channel.unary_unary(
                    "/vigil.v1.Offices/WhoAmI",
                    request_serializer=offices.WhoAmIRequest.SerializeToString,
                    response_deserializer=offices.WhoAmIResponse.FromString)
                try:
                    w = whoami(offices.WhoAmIRequest(), timeout=args.timeout)
                except grpc.RpcError as e:
                    report("Offices/WhoAmI", e)
                    return 1
                role = offices.Role.Name(w.role)
                role = role[len("ROLE_"):].lower() if role.startswith("ROLE_") else role
                print("office=%s role=%s" % (w.office.name, role))
                print("certificate_sha256=%s" % w.certificate_sha256)
        sys.stdout.flush()
        return 0 if ok else 1


def report(method, e):
    code = e.code() if hasattr(e, "code") else None
    name = code.name if code is not None else "UNKNOWN"
    details = e.details() if hasattr(e, "details") else str(e)
    sys.stderr.write("rpc=%s code=%s details=%s\n" % (method, name, details))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
