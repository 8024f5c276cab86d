#!/bin/bash
# The kind node image's CNI agent (run by the berth-kind-bridge DaemonSet in default-cni.yaml, one
# per node, hostNetwork): kind's own kindnetd is not served as a Go module here, so the node image
# carries this instead. It writes a bridge + host-local conflist for the node's podCIDR, which the
# node's containerd hands to the real CNI plugins in /opt/cni/bin, and keeps one route per other
# node's podCIDR via that node's InternalIP, so pods on different nodes reach each other.
set -euo pipefail
: "${NODE_NAME:?the DaemonSet sets NODE_NAME from spec.nodeName}"

# kind's installcni patches CONTROL_PLANE_ENDPOINT in (see "would you kindly patch this file" in
# the manifest), so the agent reaches the API server before kube-proxy has made the Service VIP.
if [ -n "${CONTROL_PLANE_ENDPOINT:-}" ]; then
  export KUBERNETES_SERVICE_HOST=${CONTROL_PLANE_ENDPOINT%:*}
  export KUBERNETES_SERVICE_PORT=${CONTROL_PLANE_ENDPOINT##*:}
fi

conf=/etc/cni/net.d/10-berth-kind-bridge.conflist
write_conflist() { # pod-cidr
  local tmp=$conf.tmp
  cat >"$tmp" <<CONF
{
  "cniVersion": "1.0.0",
  "name": "berth-kind-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "kind-br0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$1" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
CONF
  if ! cmp -s "$tmp" "$conf"; then mv -f "$tmp" "$conf"; echo "bridge-cni: wrote $conf for $1"; else rm -f "$tmp"; fi
}

while :; do
  cidr=$(kubectl get node "$NODE_NAME" -o jsonpath='{.spec.podCIDR}' || true)
  [ -n "$cidr" ] && write_conflist "$cidr"
  kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' |
    while read -r name pod_cidr node_ip; do
      [ "$name" = "$NODE_NAME" ] || [ -z "$pod_cidr" ] || [ -z "$node_ip" ] && continue
      ip route replace "$pod_cidr" via "$node_ip"
    done || true
  sleep 5
done
