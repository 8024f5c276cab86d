#!/usr/bin/env bash
# Installs the Debian packages of berth's test world. Idempotent: does nothing when all are present.
set -euo pipefail

packages=(
  runc crun conmon catatonit containernetworking-plugins iproute2 iptables
  docker-registry skopeo umoci busybox-static prometheus
  qemu-system-x86 cpio kmod zstd util-linux attr apache2-utils containerd openssl jq
  gcc libc6-dev
  docker.io mmdebstrap
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "apt: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "apt: missing ${missing[*]}; run as root (berth's test world needs root anyway)" >&2
  exit 1
fi

echo "apt: installing ${missing[*]}"
# The registry and prometheus packages would start system services; the harness starts its own
# instances on loopback ports instead, so keep maintainer scripts from starting anything.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt_lists_fresh() { find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 | grep -q .; }
apt_lists_fresh || apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "apt: done"
