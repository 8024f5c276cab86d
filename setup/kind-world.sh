#!/usr/bin/env bash
# The kind world of `npm run tools`: the kind CLI, the control-plane images and a kind node image,
# all built here from pinned Go modules and Debian packages (nothing can be pulled from a public
# registry on these machines). Everything lands under $BERTH_TOOLS_DIR/kind, one stamp per piece,
# so a version change rebuilds only that piece. Each step prints how long it took.
#
#   kind/bin/           kind, kube-proxy, coredns, etcd (the image's version), pause, containerd,
#                       containerd-shim-runc-v2, ctr
#   kind/images/        OCI image archives (oci-archive, ref = the registry.k8s.io name kubeadm
#                       expects), each loadable by `ctr images import` and `kind load image-archive`
#   kind/{kind,berth}-node/<key>/  the node images: rootfs.tar (for `docker import`) and import.json (its
#                       entrypoint and name)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
kind_dir=$tools_dir/kind
bin_dir=$kind_dir/bin
stamp_dir=$tools_dir/stamps
src_dir=$tools_dir/src
mkdir -p "$bin_dir" "$stamp_dir" "$src_dir" "$kind_dir/images"

export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0

timed() { # what command...
  local what=$1 started=$SECONDS; shift
  "$@"
  echo "kind-world: $what took $((SECONDS - started)) s"
}

is_built() { # stamp files...
  local stamp=$1; shift
  [ -f "$stamp_dir/$stamp" ] || return 1
  local f
  for f in "$@"; do [ -e "$f" ] || return 1; done
}

module_dir() { # module@version
  (cd "$src_dir" && GOFLAGS=-mod=mod go mod download -json "$1" | jq -r .Dir)
}

# A module without replace lines builds as its own main module from the module cache.
build_module_main() { # name module version
  local name=$1 module=$2 version=$3
  local stamp=$name-$version
  is_built "$stamp" "$bin_dir/$name" && { echo "kind-world: $name $version cached"; return; }
  local dir; dir=$(module_dir "$module@$version")
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$bin_dir/$name.tmp" .)
  mv -f "$bin_dir/$name.tmp" "$bin_dir/$name"
  touch "$stamp_dir/$stamp"
}

# kube-proxy is not among go-tools.sh's kubernetes_cmds (changing that list would rebuild all of
# Kubernetes), so it gets its own consumer module: go-tools.sh's kubernetes one, whose go.mod
# already repeats every staging replace line, with a tools.go naming cmd/kube-proxy.
build_kube_proxy() {
  local version=$KUBERNETES_VERSION stamp=kube-proxy-$KUBERNETES_VERSION
  is_built "$stamp" "$bin_dir/kube-proxy" && { echo "kind-world: kube-proxy $version cached"; return; }
  local from=$src_dir/kubernetes-$version work=$src_dir/kube-proxy-$version
  [ -f "$from/go.mod" ] || { echo "kind-world: $from/go.mod missing; run setup/go-tools.sh first" >&2; exit 1; }
  mkdir -p "$work"
  sed 's|^module .*|module berth.local/tools/kube-proxy|' "$from/go.mod" >"$work/go.mod"
  cp "$from/go.sum" "$work/go.sum"
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-proxy"\n' >"$work/tools.go"
  (cd "$work" && go mod tidy)
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitVersion=$version"
  (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/kube-proxy.tmp" k8s.io/kubernetes/cmd/kube-proxy)
  mv -f "$bin_dir/kube-proxy.tmp" "$bin_dir/kube-proxy"
  touch "$stamp_dir/$stamp"
}

# The etcd kubeadm names for this Kubernetes version (go-tools.sh's host etcd may be newer); built
# like go-tools.sh's: etcd's server module exposes the same entry point as its main package.
build_etcd() {
  local version=$KIND_ETCD_VERSION stamp=kind-etcd-$KIND_ETCD_VERSION
  is_built "$stamp" "$bin_dir/etcd" && { echo "kind-world: etcd $version cached"; return; }
  local work=$src_dir/etcd-$version
  mkdir -p "$work"
  printf 'module berth.local/tools/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$version" >"$work/go.mod"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$work/main.go"
  (cd "$work" && go mod tidy)
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd.tmp" .)
  mv -f "$bin_dir/etcd.tmp" "$bin_dir/etcd"
  touch "$stamp_dir/$stamp"
}

# containerd 2 for the node (kind's own base image runs 2.x; Debian's 1.6 is older than this
# kubelet supports). The version is stamped because `crictl version` and kubelet logs report it.
build_containerd() {
  local version=$KIND_CONTAINERD_VERSION stamp=kind-containerd-$KIND_CONTAINERD_VERSION
  is_built "$stamp" "$bin_dir/containerd" "$bin_dir/containerd-shim-runc-v2" "$bin_dir/ctr" &&
    { echo "kind-world: containerd $version cached"; return; }
  local dir; dir=$(module_dir "github.com/containerd/containerd/v2@$version")
  local ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$version"
  local c
  for c in containerd containerd-shim-runc-v2 ctr; do
    (cd "$dir" && go build -trimpath -tags "no_btrfs no_devmapper no_zfs no_aufs" -ldflags "$ldflags" \
      -o "$bin_dir/$c.tmp" "./cmd/$c")
    mv -f "$bin_dir/$c.tmp" "$bin_dir/$c"
  done
  touch "$stamp_dir/$stamp"
}

# Kubernetes' pause is one C file in the kubernetes module (build/pause/linux/pause.c), built
# static as its Makefile does.
build_pause() {
  local version=$KIND_PAUSE_VERSION stamp=kind-pause-$KIND_PAUSE_VERSION
  is_built "$stamp" "$bin_dir/pause" && { echo "kind-world: pause $version cached"; return; }
  local dir; dir=$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")
  gcc -Os -Wall -Werror -static -DVERSION="v$version" -o "$bin_dir/pause.tmp" "$dir/build/pause/linux/pause.c"
  strip "$bin_dir/pause.tmp"
  mv -f "$bin_dir/pause.tmp" "$bin_dir/pause"
  touch "$stamp_dir/$stamp"
}


debian_mirror=http://deb.debian.org/debian

# A Debian rootfs directory made by mmdebstrap (minbase plus PACKAGES), for the images that need
# more than one static binary.
debian_rootfs() { # out-dir packages(comma-separated)
  mmdebstrap --quiet --variant=minbase --include="$2" --format=directory \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    "$KIND_DEBIAN_SUITE" "$1" "$debian_mirror" </dev/null
}

# One OCI image archive from a rootfs directory: umoci layers it, skopeo writes the archive with
# the full image name as its reference (what `ctr images import` and `kind load` take as the name).
oci_archive() { # rootfs-dir image-ref out-tar umoci-config-args...
  local rootfs=$1 ref=$2 out=$3; shift 3
  local work; work=$(mktemp -d "$kind_dir/oci.XXXXXX")
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:base"
  umoci unpack --image "$work/layout:base" "$work/bundle" >/dev/null
  cp -a "$rootfs/." "$work/bundle/rootfs/"
  umoci repack --image "$work/layout:image" "$work/bundle" >/dev/null
  umoci config --image "$work/layout:image" --architecture amd64 --os linux \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  rm -f "$out.tmp"
  skopeo copy -q "oci:$work/layout:image" "oci-archive:$out.tmp:$ref"
  mv -f "$out.tmp" "$out"
  rm -rf "$work"
}

# An image holding one static binary at /usr/local/bin/NAME (kubeadm's static pods run the
# control-plane commands by name; coredns and pause are started by their image entrypoint).
single_binary_image() { # binary image-ref out-tar umoci-config-args...
  local binary=$1 ref=$2 out=$3; shift 3
  local rootfs; rootfs=$(mktemp -d "$kind_dir/rootfs.XXXXXX")
  install -D -m 0755 "$binary" "$rootfs/usr/local/bin/$(basename "$binary")"
  mkdir -p "$rootfs/etc" "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  oci_archive "$rootfs" "$ref" "$out" "$@"
  rm -rf "$rootfs"
}

# Cache keys: the functions that build a piece, the files it takes and the versions it names, so
# that changing the node image's recipe does not rebuild the images it preloads.
images_key() {
  (declare -f build_images single_binary_image oci_archive debian_rootfs; cat "$here/kind/bridge-cni.sh"
    echo "$KUBERNETES_VERSION $KIND_ETCD_VERSION $KIND_COREDNS_VERSION $KIND_PAUSE_VERSION $KIND_DEBIAN_SUITE") |
    sha256sum | cut -c1-12
}

# The images the node preloads: what `kubeadm config images list` names for KUBERNETES_VERSION,
# plus the CNI agent default-cni.yaml runs.
build_images() {
  local key; key=$(images_key)
  local out=$kind_dir/images/$key
  local stamp=kind-images-$KUBERNETES_VERSION-$key
  is_built "$stamp" "$out" && { echo "kind-world: control-plane images $key cached"; return; }
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    single_binary_image "$tools_dir/bin/$c" "registry.k8s.io/$c:$KUBERNETES_VERSION" "$out.tmp/$c.tar"
  done
  single_binary_image "$bin_dir/etcd" "registry.k8s.io/etcd:${KIND_ETCD_VERSION#v}-0" "$out.tmp/etcd.tar"
  single_binary_image "$bin_dir/coredns" "registry.k8s.io/coredns/coredns:$KIND_COREDNS_VERSION" "$out.tmp/coredns.tar" \
    --config.entrypoint /usr/local/bin/coredns --config.user 65534 --config.exposedports 53/udp
  single_binary_image "$bin_dir/pause" "registry.k8s.io/pause:$KIND_PAUSE_VERSION" "$out.tmp/pause.tar" \
    --config.entrypoint /usr/local/bin/pause
  # kube-proxy and the CNI agent run iptables, conntrack and ip: a Debian base.
  local base; base=$(mktemp -d "$kind_dir/debian.XXXXXX")
  debian_rootfs "$base" iptables,conntrack,ipset,kmod,iproute2,procps
  cp -a "$base" "$base.proxy"
  install -m 0755 "$bin_dir/kube-proxy" "$base.proxy/usr/local/bin/kube-proxy"
  oci_archive "$base.proxy" "registry.k8s.io/kube-proxy:$KUBERNETES_VERSION" "$out.tmp/kube-proxy.tar"
  install -m 0755 "$tools_dir/bin/kubectl" "$base/usr/local/bin/kubectl"
  install -m 0755 "$here/kind/bridge-cni.sh" "$base/usr/local/bin/bridge-cni"
  oci_archive "$base" berth.local/kind-bridge-cni:v1 "$out.tmp/bridge-cni.tar"
  rm -rf "$base" "$base.proxy"
  rm -rf "$out" && mv "$out.tmp" "$out"
  ln -sfn "$key" "$kind_dir/images/current"
  touch "$stamp_dir/$stamp"
}

# The kind node images, both from one recipe (kind/node-rootfs.sh): FLAVOR "kind" is kind's
# own node (containerd + kubelet); "berth" is the same node with berth's runtime in containerd's
# place (Node.js, berth's units; berth's code mounted at /opt/berth when it runs). Each is written
# as a rootfs tar plus the settings `docker import` needs (import.json); the test harness imports
# it into its dockerd.
build_node_image() { # flavor
  local flavor=$1
  local images; images=$(readlink -f "$kind_dir/images/current")
  local key; key=$( (declare -f build_node_image; cat "$here"/kind/*; basename "$images"; node --version
    echo "$KUBERNETES_VERSION $KIND_VERSION $KIND_CONTAINERD_VERSION $KIND_DEBIAN_SUITE") | sha256sum | cut -c1-12)
  local out=$kind_dir/$flavor-node/$key
  local stamp=$flavor-node-$KUBERNETES_VERSION-$key
  is_built "$stamp" "$out/rootfs.tar" "$out/import.json" && { echo "kind-world: $flavor node image $key cached"; return; }
  local kind_files; kind_files=$(module_dir "sigs.k8s.io/kind@$KIND_VERSION")/images/base/files
  local packages=systemd,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,bash,ca-certificates,curl,jq,procps,runc,containernetworking-plugins,socat,e2fsprogs,pigz
  # berth runs containers through conmon and runc, keeps pod namespaces with catatonit, and
  # Node.js (copied from this host, as berth is tested with it) links libstdc++.
  [ "$flavor" = berth ] && packages+=,conmon,catatonit,libstdc++6
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  KIND_FILES=$kind_files KIND_BIN=$bin_dir TOOLS_BIN=$tools_dir/bin IMAGES=$images SETUP_KIND=$here/kind \
    KUBERNETES_VERSION=$KUBERNETES_VERSION KIND_PAUSE_VERSION=$KIND_PAUSE_VERSION NODE_FLAVOR=$flavor \
    mmdebstrap --quiet --variant=minbase --format=tar --include="$packages" \
    --customize-hook="$here/kind/node-rootfs.sh \"\$1\"" \
    "$KIND_DEBIAN_SUITE" "$out.tmp/rootfs.tar" "$debian_mirror" </dev/null
  # docker import takes no STOPSIGNAL; kind removes its nodes with `docker rm -f` anyway.
  jq -n --arg name "berth.local/$flavor-node:$KUBERNETES_VERSION-$key" '{
    name: $name,
    changes: ["ENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]", "ENV container=docker"]
  }' >"$out.tmp/import.json"
  rm -rf "$out" && mv "$out.tmp" "$out"
  ln -sfn "$key" "$kind_dir/$flavor-node/current"
  touch "$stamp_dir/$stamp"
}

timed "kind $KIND_VERSION" build_module_main kind sigs.k8s.io/kind "$KIND_VERSION"
timed "kube-proxy $KUBERNETES_VERSION" build_kube_proxy
timed "coredns $KIND_COREDNS_VERSION" build_module_main coredns github.com/coredns/coredns "$KIND_COREDNS_VERSION"
timed "etcd $KIND_ETCD_VERSION" build_etcd
timed "containerd $KIND_CONTAINERD_VERSION" build_containerd
timed "pause $KIND_PAUSE_VERSION" build_pause
timed "control-plane images" build_images
timed "kind node image" build_node_image kind
timed "berth node image" build_node_image berth
