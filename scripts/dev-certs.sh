#!/usr/bin/env bash
# Makes a development CA, one certificate per node, and a bearer-token file, with Debian's openssl:
#
#   scripts/dev-certs.sh [DIR] [NODES]        # default ./certs, 5 nodes
#
#   DIR/ca.crt                 the cluster's CA: nodes accept peers it signed (--peer-ca), clients trust it (curl --cacert)
#   DIR/node<i>.crt, .key      node i's certificate for HTTPS (--tls-cert/--tls-key) and for its peers (--peer-cert/--peer-key);
#                              valid for node<i>, localhost and 127.0.0.1, as a TLS server and client
#   DIR/tokens                 --auth-tokens: one random token per scope (read, read-write, admin)
#
# For development only: the CA key stays in DIR, and the node keys are world-readable so the containers' non-root
# user can read them from a bind mount. Existing files are kept (delete DIR to start over).
set -euo pipefail
dir="${1:-certs}"
nodes="${2:-5}"
command -v openssl >/dev/null || { echo "openssl not found (Debian: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"

if [[ ! -f ca.crt ]]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -days 825 -nodes -keyout ca.key -out ca.crt \
    -subj "/CN=DistStack dev CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 600 ca.key
  echo "made $dir/ca.crt"
fi

for i in $(seq 1 "$nodes"); do
  [[ -f "node$i.crt" ]] && continue
  openssl req -newkey rsa:2048 -sha256 -nodes -keyout "node$i.key" -out "node$i.csr" -subj "/CN=node$i" 2>/dev/null
  cat > "node$i.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:node$i,DNS:localhost,IP:127.0.0.1
EXT
  openssl x509 -req -in "node$i.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 397 -sha256 \
    -extfile "node$i.ext" -out "node$i.crt" 2>/dev/null
  rm -f "node$i.csr" "node$i.ext"
  chmod 644 "node$i.key"
  echo "made $dir/node$i.crt"
done

if [[ ! -f tokens ]]; then
  {
    echo "# <scope> <token>: read (sId, sTop, sSize, GETs), read-write (every stack operation), admin (also /cluster changes)"
    for scope in read read-write admin; do echo "$scope $(openssl rand -hex 24)"; done
  } > tokens
  chmod 644 tokens
  echo "made $dir/tokens"
fi
