#!/usr/bin/env bash
# mkcerts.sh: a throwaway development PKI (ECDSA P-256) made with the openssl
# CLI: a CA, server certificates for localhost, client certificates for the
# three office roles, and the odd ones the tests need to be refused.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/mkcerts.sh [--force] DIR

Makes a development PKI in DIR (created if missing). Never use it in production.

  ca.crt ca.key                 the development CA (vigild's tls_ca_file, clients' --ca)
  server.crt server.key         vigild's certificate: CN localhost,
                                SAN DNS:localhost IP:127.0.0.1 IP:::1, serverAuth
  server2.crt server2.key       a second server certificate from the same CA
                                (tests swap it in and send SIGHUP)
  central.crt central.key       client certificates (clientAuth) of the offices
  regional.crt regional.key     registered by quickstart and the tests
  partner.crt partner.key
  unregistered.crt .key         same CA, never registered (must be refused)
  other-ca.crt other-ca.key     an unrelated CA
  wrongca.crt wrongca.key       a client certificate issued by other-ca (must be refused)

Existing files are kept (running it again changes nothing) unless --force is
given; a missing CA regenerates everything signed by it. Keys are mode 0600.
USAGE
}

force=false
dir=""
for arg in "$@"; do
    case "$arg" in
    --force) force=true ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*)
        echo "mkcerts.sh: unknown option '$arg' (see --help)" >&2
        exit 2
        ;;
    *)
        if [[ -n "$dir" ]]; then
            echo "mkcerts.sh: only one DIR may be given (see --help)" >&2
            exit 2
        fi
        dir=$arg
        ;;
    esac
done
if [[ -z "$dir" ]]; then
    usage >&2
    exit 2
fi
command -v openssl >/dev/null || {
    echo "mkcerts.sh: openssl not found (run deploy/install-deps.sh)" >&2
    exit 1
}

mkdir -p "$dir"
cd "$dir"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CA_DAYS=3650
LEAF_DAYS=825
made=0

newkey() { # FILE
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    chmod 600 "$1"
}

serial() {
    echo "0x$(openssl rand -hex 16)"
}

have() { # NAME: both NAME.crt and NAME.key exist
    [[ -s "$1.crt" && -s "$1.key" ]]
}

make_ca() { # NAME CN
    local name=$1 cn=$2
    newkey "$name.key"
    cat >"$work/$name.ext" <<EXT
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EXT
    openssl req -new -x509 -key "$name.key" -out "$name.crt" -days "$CA_DAYS" \
        -subj "/O=Vigil development/CN=$cn" -set_serial "$(serial)" \
        -sha256 -extensions v3_ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3_ca]\n'
            cat "$work/$name.ext")
    chmod 644 "$name.crt"
    echo "mkcerts: made $dir/$name.crt (CA: $cn)"
    made=$((made + 1))
}

make_leaf() { # NAME ISSUER CN USAGE [SAN]
    local name=$1 issuer=$2 cn=$3 eku=$4 san=${5:-}
    newkey "$name.key"
    {
        echo "basicConstraints = critical, CA:FALSE"
        echo "keyUsage = critical, digitalSignature"
        echo "extendedKeyUsage = $eku"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid"
        if [[ -n "$san" ]]; then
            echo "subjectAltName = $san"
        fi
    } >"$work/$name.ext"
    openssl req -new -key "$name.key" -out "$work/$name.csr" \
        -subj "/O=Vigil development/CN=$cn" 2>/dev/null
    openssl x509 -req -in "$work/$name.csr" -CA "$issuer.crt" -CAkey "$issuer.key" \
        -set_serial "$(serial)" -days "$LEAF_DAYS" -sha256 \
        -extfile "$work/$name.ext" -out "$name.crt" 2>/dev/null
    chmod 644 "$name.crt"
    echo "mkcerts: made $dir/$name.crt ($cn)"
    made=$((made + 1))
}

# leaf NAME ISSUER CN USAGE [SAN]: makes it when missing, forced, or its CA is new.
leaf() {
    if $force || ! have "$1" || [[ " $new_cas " == *" $2 "* ]]; then
        make_leaf "$@"
    fi
}

new_cas=""
if $force || ! have ca; then
    make_ca ca "Vigil development CA"
    new_cas+=" ca"
fi
server_san="DNS:localhost, IP:127.0.0.1, IP:::1"
leaf server ca localhost serverAuth "$server_san"
leaf server2 ca localhost serverAuth "$server_san"
leaf central ca "Vigil central office (development)" clientAuth
leaf regional ca "Vigil regional office (development)" clientAuth
leaf partner ca "Vigil partner (development)" clientAuth
leaf unregistered ca "Vigil unregistered client (development)" clientAuth

if $force || ! have other-ca; then
    make_ca other-ca "Unrelated development CA"
    new_cas+=" other-ca"
fi
leaf wrongca other-ca "Vigil central office (development)" clientAuth

if [[ $made -eq 0 ]]; then
    echo "mkcerts: certificates in $dir are present, kept (use --force to remake)"
fi
