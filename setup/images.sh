#!/usr/bin/env bash
# Builds berth's test images from Debian packages (busybox-static) with umoci and seeds a registry
# storage directory with them through a real docker-registry and skopeo. The seeded storage is
# cached under $BERTH_TOOLS_DIR/registry/<key>, keyed by this script and the busybox package
# version; the test harness serves it read-only. images.json beside it lists every reference and
# its digest for the tests.
#
# Names follow the repository paths that critest and the Kubernetes e2e images use
# (registry.k8s.io/e2e-test-images/..., gcr.io/k8s-staging-cri-tools/...), so that with
# critest's -registry-prefix (or a registry mirror) an image name means the same thing here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
busybox_version=$(dpkg-query -W -f='${Version}' busybox-static)
nginx_version=$(apt-cache show --no-all-versions nginx 2>/dev/null | awk '/^Version:/{print $2; exit}')
[ -n "$nginx_version" ] || { echo "images: no nginx package known to apt (run setup/apt.sh first)" >&2; exit 1; }
key=$(cat "$0" "$here/registry-config.sh" "$here/images/effective-uid.c" <(echo "$busybox_version $nginx_version") | sha256sum | cut -c1-16)
out=$tools_dir/registry/$key
if [ -f "$out/images.json" ]; then
  echo "images: seeded registry $key cached"
  ln -sfn "$key" "$tools_dir/registry/current"
  exit 0
fi

echo "images: building test images (busybox-static $busybox_version)"
work=$(mktemp -d "$tools_dir/images-build.XXXXXX")
registry_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:empty"

# --- the busybox base rootfs -------------------------------------------------------------
umoci unpack --image "$layout:empty" "$work/base" >/dev/null
rootfs=$work/base/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,var/www,dev,proc,sys}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
# Hard links, as in the busybox images upstream: masking one applet's path (critest's
# MaskedPaths masks /bin/ls) must not mask the shell with it, as a symlink would.
for applet in $("$rootfs/bin/busybox" --list-full); do
  [ "$applet" = bin/busybox ] || ln -f "$rootfs/bin/busybox" "$rootfs/$applet"
done
# Debian's busybox has no ipcs applet; critest's HostIpc cases run `ipcs -m` in busybox:1.29-2.
copy_with_libraries() { # binary rootfs target-path
  install -D -m 0755 "$1" "$2$3"
  local lib
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    [ -e "$2$lib" ] || install -D -m 0755 "$lib" "$2$lib"
  done
}
copy_with_libraries /usr/bin/ipcs "$rootfs" /usr/bin/ipcs
# Nor pgrep, which critest's execSync timeout case runs to see that the timed-out command is gone.
copy_with_libraries /usr/bin/pgrep "$rootfs" /usr/bin/pgrep
# The shell: Debian's busybox-static runs applets in-process even where their path is masked
# (FEATURE_SH_STANDALONE), while the busybox images upstream look commands up on PATH, and
# critest's MaskedPaths case relies on that (it masks /bin/ls and expects "/bin/sh: ls:
# Permission denied"). Debian's dynamically linked busybox, same version, is built without it:
# /bin/sh is that one, taken from the package without installing it (it conflicts with
# busybox-static); every other applet stays a hard link to the static binary.
mkdir -p "$work/busybox-deb"
(cd "$work/busybox-deb" && apt-get download -q "busybox=$busybox_version" >/dev/null 2>&1)
dpkg-deb -x "$work"/busybox-deb/busybox_*.deb "$work/busybox-deb/files"
rm -f "$rootfs/bin/sh"
copy_with_libraries "$work/busybox-deb/files/bin/busybox" "$rootfs" /bin/sh
cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
www-data:x:33:
users:x:100:
nogroup:x:65534:
GROUP
echo "hello from berth's busybox image" >"$rootfs/etc/berth-image"
umoci repack --image "$layout:busybox" "$work/base" >/dev/null
umoci config --image "$layout:busybox" --architecture amd64 --os linux \
  --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.cmd sh

# A second platform entry for index tests. No arm64 busybox exists on this machine, so this
# variant differs only by a marker file that tests read to see which platform was selected.
umoci unpack --image "$layout:busybox" "$work/arm64" >/dev/null
echo linux/arm64 >"$work/arm64/rootfs/etc/berth-platform"
umoci repack --image "$layout:busybox-arm64" "$work/arm64" >/dev/null
umoci config --image "$layout:busybox-arm64" --architecture arm64 --os linux
umoci unpack --image "$layout:busybox" "$work/amd64" >/dev/null
echo linux/amd64 >"$work/amd64/rootfs/etc/berth-platform"
umoci repack --image "$layout:busybox-amd64" "$work/amd64" >/dev/null

derive_with_file() { # tag-from new-tag path-in-rootfs content
  local dir=$work/derive-$2
  umoci unpack --image "$layout:$1" "$dir" >/dev/null
  mkdir -p "$(dirname "$dir/rootfs/$3")"
  printf '%s\n' "$4" >"$dir/rootfs/$3"
  umoci repack --image "$layout:$2" "$dir" >/dev/null
  rm -rf "$dir"
}

# --- web servers (busybox httpd) ---------------------------------------------------------
derive_with_file busybox httpd var/www/index.html "<html><body>berth httpd test image</body></html>"
# Like the nginx images critest uses, the server writes its pid to /var/run/nginx.pid (critest
# waits for that file) and serves on the port the image declares.
# Like Apache's httpd, it says who it is on start: critest's multi-container log case waits for
# "httpd" in the container log.
serve() { printf 'mkdir -p /var/run; echo $$ > /var/run/nginx.pid; echo "httpd: serving /var/www on port %s"; exec httpd -f -p %s -h /var/www' "$1" "$1"; }
umoci config --image "$layout:httpd" --config.exposedports 80/tcp \
  --config.cmd sh --config.cmd -c --config.cmd "$(serve 80)"
umoci config --image "$layout:httpd" --tag hostnet-httpd --clear config.cmd \
  --config.exposedports 12003/tcp \
  --config.cmd sh --config.cmd -c --config.cmd "$(serve 12003)"

# --- pause: sleeps until told to stop, and reaps children as PID 1 must -----------------
umoci config --image "$layout:busybox" --tag pause --clear config.cmd \
  --config.entrypoint /bin/sh --config.entrypoint -c \
  --config.entrypoint 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'

# --- nginx (critest's e2e-test-images/nginx): Debian's nginx and the libraries it links, taken
# from the package without installing it (no service on the host). critest looks for the
# process by name and for "master process" in its command line, and reads /var/run/nginx.pid.
mkdir -p "$work/nginx-deb"
(cd "$work/nginx-deb" && apt-get download -q "nginx=$nginx_version" >/dev/null 2>&1)
dpkg-deb -x "$work"/nginx-deb/nginx_*.deb "$work/nginx-deb/files"
umoci unpack --image "$layout:httpd" "$work/nginx" >/dev/null
copy_with_libraries "$work/nginx-deb/files/usr/sbin/nginx" "$work/nginx/rootfs" /usr/sbin/nginx
mkdir -p "$work/nginx/rootfs"/{etc/nginx,var/lib/nginx,var/log/nginx,var/run}
cat >"$work/nginx/rootfs/etc/nginx/nginx.conf" <<'NGINX'
user www-data;
worker_processes 1;
pid /var/run/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
  access_log /dev/stdout;
  server { listen 80; root /var/www; }
}
NGINX
umoci repack --image "$layout:nginx" "$work/nginx" >/dev/null
umoci config --image "$layout:nginx" --clear config.cmd --config.exposedports 80/tcp \
  --config.cmd nginx --config.cmd -g --config.cmd 'daemon off;'

# --- nonewprivs: a setuid-root program that prints its effective uid --------------------------
umoci unpack --image "$layout:busybox" "$work/nonewprivs" >/dev/null
mkdir -p "$work/nonewprivs/rootfs/usr/local/bin"
gcc -static -O2 -o "$work/nonewprivs/rootfs/usr/local/bin/effective-uid" "$here/images/effective-uid.c"
chown 0:0 "$work/nonewprivs/rootfs/usr/local/bin/effective-uid"
chmod 4755 "$work/nonewprivs/rootfs/usr/local/bin/effective-uid"
umoci repack --image "$layout:nonewprivs" "$work/nonewprivs" >/dev/null
umoci config --image "$layout:nonewprivs" --clear config.cmd --config.cmd /usr/local/bin/effective-uid

# --- critest's images (cri-tools images/build) ------------------------------------------
for name in test-image-1 test-image-2 test-image-3 test-image-latest test-image-digest test-image-tags \
  test-image-tag-test test-image-tag-all; do
  derive_with_file busybox "$name" "$name" "$name"
done
umoci config --image "$layout:busybox" --tag user-uid --config.user 1002
umoci config --image "$layout:busybox" --tag user-username --config.user www-data
umoci config --image "$layout:busybox" --tag user-uid-group --config.user 1003:1004
umoci config --image "$layout:busybox" --tag user-username-group --config.user www-data:1004
predefined=$work/predefined
umoci unpack --image "$layout:busybox" "$predefined" >/dev/null
echo 'default-user:x:1000:1000::/home/default-user:/bin/sh' >>"$predefined/rootfs/etc/passwd"
printf '%s\n' 'default-user:x:1000:' 'group-defined-in-image:x:50000:default-user' >>"$predefined/rootfs/etc/group"
mkdir -p "$predefined/rootfs/home/default-user" && chown 1000:1000 "$predefined/rootfs/home/default-user"
umoci repack --image "$layout:predefined-group" "$predefined" >/dev/null
umoci config --image "$layout:predefined-group" --config.user 1000

# --- an OCI image index holding the amd64 and arm64 variants ----------------------------
make_index() { # new-tag tag:arch...
  local manifests=() tag arch desc
  for spec in "${@:2}"; do
    tag=${spec%%:*}; arch=${spec##*:}
    desc=$(jq -c --arg tag "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag)' "$layout/index.json")
    manifests+=("$(jq -c --arg arch "$arch" '{mediaType, digest, size, platform: {architecture: $arch, os: "linux"}}' <<<"$desc")")
  done
  local body digest size
  body=$(printf '%s\n' "${manifests[@]}" | jq -cs '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}')
  printf '%s' "$body" >"$work/index-blob"
  digest=$(sha256sum "$work/index-blob" | cut -d' ' -f1)
  size=$(stat -c %s "$work/index-blob")
  mv "$work/index-blob" "$layout/blobs/sha256/$digest"
  jq --arg d "sha256:$digest" --argjson s "$size" --arg t "$1" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": $t}}]' \
    "$layout/index.json" >"$work/index.json"
  mv "$work/index.json" "$layout/index.json"
}
make_index busybox-index busybox-amd64:amd64 busybox-arm64:arm64
make_index hostnet-httpd-index hostnet-httpd:amd64

# --- push everything through a real registry --------------------------------------------
storage=$work/storage
mkdir -p "$storage"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck source=registry-config.sh
source "$here/registry-config.sh"
write_registry_config "$work/registry.yml" "$storage" "127.0.0.1:$port" false
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

catalog=()
push() { # layout-tag repository:tag
  local all=()
  case $1 in *-index) all=(--all) ;; esac
  skopeo copy -q "${all[@]}" --dest-tls-verify=false --preserve-digests \
    "oci:$layout:$1" "docker://127.0.0.1:$port/$2"
  local digest
  digest=$(curl -fsI -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$port/v2/${2%:*}/manifests/${2##*:}" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
  catalog+=("$(jq -cn --arg ref "$2" --arg digest "$digest" --arg source "$1" '{ref: $ref, digest: $digest, layoutTag: $source}')")
}
push busybox busybox:latest
push busybox-index busybox:index
push busybox-index e2e-test-images/busybox:1.29-2
push httpd httpd:latest
push nginx e2e-test-images/nginx:1.14-2
push nonewprivs e2e-test-images/nonewprivs:1.3
push httpd e2e-test-images/httpd:2.4.39-4
push hostnet-httpd k8s-staging-cri-tools/hostnet-nginx-amd64:latest
push hostnet-httpd-index k8s-staging-cri-tools/hostnet-nginx:latest
push pause pause:3.9
push test-image-1 k8s-staging-cri-tools/test-image-1:latest
push test-image-2 k8s-staging-cri-tools/test-image-2:latest
push test-image-3 k8s-staging-cri-tools/test-image-3:latest
push test-image-latest k8s-staging-cri-tools/test-image-latest:latest
push test-image-digest k8s-staging-cri-tools/test-image-digest:latest
for t in 1 2 3; do push test-image-tags "k8s-staging-cri-tools/test-image-tags:$t"; done
push test-image-tag-test k8s-staging-cri-tools/test-image-tag:test
push test-image-tag-all k8s-staging-cri-tools/test-image-tag:all
push user-uid k8s-staging-cri-tools/test-image-user-uid:latest
push user-username k8s-staging-cri-tools/test-image-user-username:latest
push user-uid-group k8s-staging-cri-tools/test-image-user-uid-group:latest
push user-username-group k8s-staging-cri-tools/test-image-user-username-group:latest
push predefined-group k8s-staging-cri-tools/test-image-predefined-group:latest

kill "$registry_pid"; wait "$registry_pid" 2>/dev/null || true; registry_pid=

mkdir -p "$tools_dir/registry"
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
mv "$storage" "$out.tmp/storage"
# Keep the OCI layout too: `berth image import` and the runc smoke test start from it.
mv "$layout" "$out.tmp/oci"
# The standalone demo pod's image alone, tagged latest: `npm start` imports it as
# localhost/berth/busybox:latest.
skopeo copy -q "oci:$out.tmp/oci:busybox" "oci:$out.tmp/demo-oci:latest"
printf '%s\n' "${catalog[@]}" | jq -s '{images: .}' >"$out.tmp/images.json"
rm -rf "$out" && mv "$out.tmp" "$out"
ln -sfn "$key" "$tools_dir/registry/current"
echo "images: seeded ${#catalog[@]} references into $out"
