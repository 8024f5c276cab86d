#!/usr/bin/env bash
# The Debian root filesystem of the node guest (test/harness/v2-node-guest.ts): bookworm's own
# runc, crun, conmon, CNI plugins and iptables, plus the guest kernel's modules (overlay, veth,
# bridge, netfilter), as an ext4 image made without mounting anything (mke2fs -d). Built once per
# version of this list and of the guest kernel, under $BERTH_TOOLS_DIR/guest/rootfs-<key>/ with a
# stamp; berth itself, node and crictl travel beside it on a second disk made per run.
set -euo pipefail

tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
# Raise rootfs_version when the build below changes in a way the package list does not show.
rootfs_version=1
# docker-registry: critest's images are served inside the guest (test/v2-critest/), which has no network card.
packages=crun,runc,conmon,catatonit,containernetworking-plugins,iptables,iproute2,kmod,procps,docker-registry
kernel=$(readlink "$tools_dir/guest/current" || true)
if [ -z "$kernel" ]; then
  echo "guest-rootfs: no guest kernel yet; run setup/guest-kernel.sh first" >&2
  exit 1
fi
key=$(printf '%s\n' "$rootfs_version" "$packages" "$kernel" | sha256sum | cut -c1-12)
out=$tools_dir/guest/rootfs-$key
stamp=$tools_dir/stamps/guest-rootfs-$key
if [ -f "$stamp" ] && [ -f "$out/rootfs.img" ]; then
  echo "guest-rootfs: $out cached"
  ln -sfn "$(basename "$out")" "$tools_dir/guest/rootfs-current"
  exit 0
fi
command -v mmdebstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq mmdebstrap; }
echo "guest-rootfs: building $out ($packages)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# unshare mode: its mounts live in a private namespace, so the build leaves nothing on the host.
mmdebstrap --quiet --mode=unshare --variant=minbase --include="$packages" bookworm "$work/root"
release=$(ls "$tools_dir/guest/current/lib/modules")
mkdir -p "$work/root/lib/modules"
cp -a "$tools_dir/guest/current/lib/modules/$release" "$work/root/lib/modules/"
# The guest has no network but the one the test world gives it, and no systemd: nothing to start.
rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*
rm -rf "$out" && mkdir -p "$out" "$tools_dir/stamps"
mke2fs -q -t ext4 -L berth-root -d "$work/root" "$out/rootfs.img" 1536M
touch "$stamp"
ln -sfn "$(basename "$out")" "$tools_dir/guest/rootfs-current"
echo "guest-rootfs: $out"
