#!/usr/bin/env bash
# Builds the images the upstream e2e specs of `npm run conformance` run into an OCI layout under
# $BERTH_TOOLS_DIR/e2e-images, with images.json naming the repository path and tag the
# pinned e2e.test gives each (test/utils/image/manifest.go). The conformance runner pushes them
# into a registry of its own and maps the suite's registries onto it with KUBE_TEST_REPO_LIST.
# How each is made:
#
# - e2e-test-images/agnhost:2.66.1  the agnhost binary built from the pinned module's
#   test/images/agnhost (`setup/go-tools.sh e2e-suite`) at /agnhost, /agnhost-2 a symlink to it, ENTRYPOINT
#   /agnhost, CMD pause, /uploads, porter's localhost.crt/.key, user-defined-in-image (1000) in
#   group-defined-in-image (50000): all as the upstream Dockerfile. Upstream's base is Alpine with
#   bind-tools, curl, netcat-openbsd, iproute2, iperf, bash, util-linux-misc and socat; here the
#   base is berth's busybox image (setup/images.sh: Debian's busybox), plus Debian's bash, curl and
#   ip with their libraries. Not included: dig, iperf, socat, coredns, ipcs, the fake registry's
#   blobs; specs that run those are not in the subset (see test/conformance/README.md).
# - e2e-test-images/busybox:1.37.0-2  berth's busybox image (Debian's busybox-static applets).
#   Upstream's is the busybox project's build of 1.37; the applets are the same programs.
# - pause:3.10.2  the pinned module's build/pause/linux/pause.c compiled with gcc -static, alone
#   in the image with ENTRYPOINT /pause: what build/pause/Dockerfile makes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
agnhost=$tools_dir/bin/agnhost
[ -x "$agnhost" ] || { echo "e2e-images: $agnhost is missing: run "bash setup/go-tools.sh e2e-suite" first" >&2; exit 1; }
base_layout=$tools_dir/registry/current/oci
[ -d "$base_layout" ] || { echo "e2e-images: $base_layout is missing: run setup/images.sh first" >&2; exit 1; }
module=$(cd "$tools_dir/src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | jq -r .Dir)
agnhost_version=$(cat "$module/test/images/agnhost/VERSION")
pause_version=3.10.2
busybox_version=1.37.0-2

# Rebuilt when this script, agnhost or the busybox base changes: one stamp per combination.
stamp=$tools_dir/stamps/e2e-images-$(cat "$0" "$agnhost" "$base_layout/index.json" | sha256sum | cut -c1-16)
out=$tools_dir/e2e-images
[ -f "$stamp" ] && [ -f "$out/images.json" ] && { echo "e2e-images: cached"; exit 0; }
echo "e2e-images: building agnhost $agnhost_version, busybox $busybox_version, pause $pause_version"
work=$(mktemp -d "$tools_dir/e2e-images-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

layout=$work/layout
skopeo copy -q "oci:$base_layout:busybox" "oci:$layout:busybox"
copy_with_libraries() { # binary rootfs target-path
  install -D -m 0755 "$1" "$2$3"
  local lib
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    [ -e "$2$lib" ] || install -D -m 0755 "$lib" "$2$lib"
  done
}

# --- agnhost ------------------------------------------------------------------------------
umoci unpack --image "$layout:busybox" "$work/agnhost" >/dev/null
rootfs=$work/agnhost/rootfs
install -m 0755 "$agnhost" "$rootfs/agnhost"
ln -s agnhost "$rootfs/agnhost-2"
mkdir -p "$rootfs/uploads"
install -m 0644 "$module/test/images/agnhost/porter/localhost.crt" "$module/test/images/agnhost/porter/localhost.key" "$rootfs/"
for tool in /usr/bin/bash /usr/bin/curl /usr/sbin/ip; do
  rm -f "$rootfs$tool"
  copy_with_libraries "$tool" "$rootfs" "$tool"
done
echo 'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh' >>"$rootfs/etc/passwd"
printf '%s\n' 'user-defined-in-image:x:1000:' 'group-defined-in-image:x:50000:user-defined-in-image' >>"$rootfs/etc/group"
mkdir -p "$rootfs/home/user-defined-in-image" && chown 1000:1000 "$rootfs/home/user-defined-in-image"
umoci repack --image "$layout:agnhost" "$work/agnhost" >/dev/null
umoci config --image "$layout:agnhost" --clear config.cmd --config.entrypoint /agnhost --config.cmd pause \
  --config.exposedports 80/tcp --config.exposedports 8080/tcp --config.exposedports 8081/tcp \
  --config.exposedports 9376/tcp --config.exposedports 5000/tcp

# --- pause --------------------------------------------------------------------------------
umoci new --image "$layout:pause"
umoci unpack --image "$layout:pause" "$work/pause" >/dev/null
gcc -static -Os -Wall -Werror -DVERSION="v$pause_version" -o "$work/pause/rootfs/pause" "$module/build/pause/linux/pause.c"
strip "$work/pause/rootfs/pause"
umoci repack --image "$layout:pause" "$work/pause" >/dev/null
umoci config --image "$layout:pause" --architecture amd64 --os linux \
  --config.entrypoint /pause --config.user 65535:65535

catalog=()
entry() { # layout-tag repository:tag how
  catalog+=("$(jq -cn --arg tag "$1" --arg ref "$2" --arg how "$3" '{layoutTag: $tag, ref: $ref, how: $how}')")
}
entry agnhost "e2e-test-images/agnhost:$agnhost_version" "agnhost from k8s.io/kubernetes@$KUBERNETES_VERSION on berth's busybox"
entry busybox "e2e-test-images/busybox:$busybox_version" "berth's busybox (Debian busybox-static)"
entry pause "pause:$pause_version" "build/pause/linux/pause.c from k8s.io/kubernetes@$KUBERNETES_VERSION"

mkdir -p "$work/out"
mv "$layout" "$work/out/oci"
printf '%s\n' "${catalog[@]}" | jq -s '{images: .}' >"$work/out/images.json"
rm -rf "$out" && mv "$work/out" "$out"
touch "$stamp"
echo "e2e-images: ${#catalog[@]} images in $out"
