#!/usr/bin/env bash
# Generates the certificates and keys of the e2e cluster fixture (etcd + kube-apiserver +
# controller-manager + scheduler on loopback) once, into $BERTH_TOOLS_DIR/cluster-pki/<key>.
# Everything is valid for ten years and only ever trusted by the fixture itself.
set -euo pipefail

tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
key=$(sha256sum "$0" | cut -c1-16)
out=$tools_dir/cluster-pki/$key
if [ -f "$out/done" ]; then
  echo "cluster-pki: $key cached"
  ln -sfn "$key" "$tools_dir/cluster-pki/current"
  exit 0
fi

rm -rf "$out" && mkdir -p "$out" && chmod 700 "$out"
cd "$out"
days=3650

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$days" \
  -subj "/CN=berth-test-cluster-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

issue() { # name subject extensions
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" \
    -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

# 10.96.0.1 is the first address of the fixture's service CIDR: in-cluster clients reach the
# API server as the `kubernetes` service there.
issue apiserver "/CN=kube-apiserver" 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
issue admin "/O=system:masters/CN=kubernetes-admin" "$client_ext"
issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
issue controller-manager "/CN=system:kube-controller-manager" "$client_ext"
issue scheduler "/CN=system:kube-scheduler" "$client_ext"

# The aggregation layer (metrics-server behind metrics.k8s.io): the API server proxies as
# front-proxy-client, signed by a CA of its own that aggregated servers trust for request headers.
openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days "$days" \
  -subj "/CN=berth-test-front-proxy-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
  -subj "/CN=front-proxy-client" 2>/dev/null
printf '%s\n' "$client_ext" >front-proxy-client.ext
openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial \
  -out front-proxy-client.crt -days "$days" -extfile front-proxy-client.ext 2>/dev/null
rm -f front-proxy-client.csr front-proxy-client.ext

openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 ./*.key
touch done
ln -sfn "$key" "$tools_dir/cluster-pki/current"
echo "cluster-pki: generated $out"
