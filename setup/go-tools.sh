#!/usr/bin/env bash
# Builds the Kubernetes-side peers of berth's test world from Go modules at the versions pinned in
# setup/versions.env, into $BERTH_TOOLS_DIR/bin (default ~/.cache/berth/tools/bin). Each tool set
# is rebuilt only when its pinned version changes (a stamp file per version).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
bin_dir=$tools_dir/bin
stamp_dir=$tools_dir/stamps
mkdir -p "$bin_dir" "$stamp_dir" "$tools_dir/src"

export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0

# k8s.io/kubernetes points its staging modules (k8s.io/api, k8s.io/client-go, ...) at
# ./staging/src in its go.mod. Those directories are not part of the published module, so a
# consumer module repeats each replace line, pointing at the published staging version instead.
staging_modules=(
  api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice
  externaljwt kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl
  kubelet metrics mount-utils pod-security-admission streaming
)
kubernetes_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

module_dir() { # module@version: its directory in the module cache, downloaded if missing
  (cd "$tools_dir/src" && GOFLAGS=-mod=mod go mod download -json "$1" | jq -r .Dir)
}

is_built() { # stamp-name binaries...
  local stamp=$1; shift
  [ -f "$stamp_dir/$stamp" ] || return 1
  local b
  for b in "$@"; do [ -x "$bin_dir/$b" ] || return 1; done
}

# The -ldflags that stamp VERSION into a Kubernetes binary as upstream's build does (kubeadm and
# the e2e suite compare and report these).
version_ldflags() { # version
  local version=$1
  local major=${version#v}; major=${major%%.*}
  local minor=${version#v*.}; minor=${minor%%.*}
  local ldflags="-s -w"
  local pkg kv
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    for kv in "gitVersion=$version" "gitMajor=$major" "gitMinor=$minor" "gitTreeState=clean" \
      "buildDate=1970-01-01T00:00:00Z"; do
      ldflags+=" -X $pkg.$kv"
    done
  done
  echo "$ldflags"
}

# Writes a consumer module of k8s.io/kubernetes in DIR importing PACKAGES (tools.go), with the
# staging replace lines plus EXTRA staging modules, and tidies it.
write_kubernetes_module() { # dir module-name "extra staging modules" packages...
  local work=$1 name=$2 extra=$3; shift 3
  local version=$KUBERNETES_VERSION
  local staging_version=v0.${version#v1.}
  mkdir -p "$work"
  {
    echo "module $name"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    local m
    # shellcheck disable=SC2086 # extra is a word list
    for m in "${staging_modules[@]}" $extra; do echo "	k8s.io/$m => k8s.io/$m $staging_version"; done
    echo ")"
  } >"$work/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    local p
    for p in "$@"; do echo "	_ \"$p\""; done
    echo ")"
  } >"$work/tools.go"
  (cd "$work" && go mod tidy)
}

build_kubernetes() {
  local version=$KUBERNETES_VERSION
  local stamp=kubernetes-$version
  if is_built "$stamp" "${kubernetes_cmds[@]}"; then
    echo "go-tools: kubernetes $version cached"
    return
  fi
  echo "go-tools: building kubernetes $version (${kubernetes_cmds[*]}); the first build takes a while"
  local work=$tools_dir/src/kubernetes-$version
  local c pkgs=()
  for c in "${kubernetes_cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  write_kubernetes_module "$work" berth.local/tools/kubernetes "" "${pkgs[@]}"

  local ldflags
  ldflags=$(version_ldflags "$version")
  for c in "${kubernetes_cmds[@]}"; do
    echo "go-tools:   $c"
    (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv -f "$bin_dir/$c.tmp" "$bin_dir/$c"
  done
  touch "$stamp_dir/$stamp"
}

build_cri_tools() {
  local version=$CRI_TOOLS_VERSION
  local stamp=cri-tools-$version
  if is_built "$stamp" crictl critest; then
    echo "go-tools: cri-tools $version cached"
    return
  fi
  echo "go-tools: building cri-tools $version (crictl, critest)"
  # cri-tools has no replace lines, so it builds as its own main module from the module cache.
  local dir
  dir=$(module_dir "sigs.k8s.io/cri-tools@$version")
  local ldflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${version#v}"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/crictl.tmp" ./cmd/crictl)
  # critest is a Ginkgo suite compiled as a test binary, as cri-tools' own Makefile builds it.
  (cd "$dir" && go test -c -trimpath -ldflags "$ldflags" -o "$bin_dir/critest.tmp" ./cmd/critest)
  mv -f "$bin_dir/crictl.tmp" "$bin_dir/crictl"
  mv -f "$bin_dir/critest.tmp" "$bin_dir/critest"
  touch "$stamp_dir/$stamp"
}

build_etcd() {
  local version=$ETCD_VERSION
  local stamp=etcd-$version
  if is_built "$stamp" etcd; then
    echo "go-tools: etcd $version cached"
    return
  fi
  echo "go-tools: building etcd $version"
  local work=$tools_dir/src/etcd-$version
  mkdir -p "$work"
  cat >"$work/go.mod" <<GOMOD
module berth.local/tools/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $version
GOMOD
  # etcd's own main package lives in a module with replace lines; its server module exposes the
  # same entry point (etcdmain.Main), so a two-line main builds the identical server.
  cat >"$work/main.go" <<'GOMAIN'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GOMAIN
  (cd "$work" && go mod tidy)
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd.tmp" .)
  mv -f "$bin_dir/etcd.tmp" "$bin_dir/etcd"
  touch "$stamp_dir/$stamp"
}

build_metrics_server() {
  local version=$METRICS_SERVER_VERSION
  local stamp=metrics-server-$version
  if is_built "$stamp" metrics-server; then
    echo "go-tools: metrics-server $version cached"
    return
  fi
  echo "go-tools: building metrics-server $version"
  # Like cri-tools, a module without replace lines: it builds as its own main module.
  local dir
  dir=$(module_dir "sigs.k8s.io/metrics-server@$version")
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$bin_dir/metrics-server.tmp" ./cmd/metrics-server)
  mv -f "$bin_dir/metrics-server.tmp" "$bin_dir/metrics-server"
  touch "$stamp_dir/$stamp"
}

# The upstream e2e sample device plugin (example.com/resource, two devices): a real plugin for the
# kubelet's device-plugin API, built from the same kubernetes module as the kubelet.
build_sample_device_plugin() {
  local version=$KUBERNETES_VERSION
  local stamp=sample-device-plugin-$version
  if is_built "$stamp" sample-device-plugin; then
    echo "go-tools: sample-device-plugin $version cached"
    return
  fi
  echo "go-tools: building sample-device-plugin $version"
  local work=$tools_dir/src/kubernetes-$version
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$bin_dir/sample-device-plugin.tmp" k8s.io/kubernetes/test/images/sample-device-plugin)
  mv -f "$bin_dir/sample-device-plugin.tmp" "$bin_dir/sample-device-plugin"
  touch "$stamp_dir/$stamp"
}

build_containerd() {
  local version=$CONTAINERD_VERSION
  local stamp=containerd-$version
  # Its own directory: Debian's containerd 1.6 (the older peer) keeps the plain names on PATH, and
  # containerd finds its shim by name, so the 2.x pair must not be mixed with it.
  local dir_name=containerd-$version
  if is_built "$stamp" "$dir_name/containerd" "$dir_name/containerd-shim-runc-v2"; then
    echo "go-tools: containerd $version cached"
    return
  fi
  echo "go-tools: building containerd $version (containerd, containerd-shim-runc-v2)"
  local src
  src=$(module_dir "github.com/containerd/containerd/v2@$version")
  # Without the stamp it reports "2.4.2+unknown"; the bench prints the peer's own `--version`.
  local ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=${version#v}"
  ldflags+=" -X github.com/containerd/containerd/v2/version.Revision=$version"
  mkdir -p "$bin_dir/$dir_name"
  local c
  for c in containerd containerd-shim-runc-v2; do
    echo "go-tools:   $c"
    (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$dir_name/$c.tmp" "./cmd/$c")
    mv -f "$bin_dir/$dir_name/$c.tmp" "$bin_dir/$dir_name/$c"
  done
  touch "$stamp_dir/$stamp"
}

# kubeadm has its own stamp and consumer module so that adding it rebuilds none of the
# kubernetes_cmds above.
build_kubeadm() {
  local version=$KUBERNETES_VERSION
  local stamp=kubeadm-$version
  if is_built "$stamp" kubeadm; then
    echo "go-tools: kubeadm $version cached"
    return
  fi
  echo "go-tools: building kubeadm $version"
  local work=$tools_dir/src/kubeadm-$version
  write_kubernetes_module "$work" berth.local/tools/kubeadm "" k8s.io/kubernetes/cmd/kubeadm
  (cd "$work" && go build -trimpath -ldflags "$(version_ldflags "$version")" -o "$bin_dir/kubeadm.tmp" k8s.io/kubernetes/cmd/kubeadm)
  mv -f "$bin_dir/kubeadm.tmp" "$bin_dir/kubeadm"
  touch "$stamp_dir/$stamp"
}

# The upstream end-to-end suite (e2e.test) and agnhost, for the upstream-e2e tier of `npm test` and
# `npm run conformance` (`go-tools.sh e2e-suite` builds these alone). Its own consumer module: test/e2e also imports the
# three sample-* staging modules. 5 minutes of two shared cores here with a warm module cache.
build_e2e_suite() {
  local version=$KUBERNETES_VERSION
  local stamp=e2e-suite-$version
  if is_built "$stamp" e2e.test agnhost; then
    echo "go-tools: e2e.test and agnhost $version cached"
    return
  fi
  echo "go-tools: building e2e.test and agnhost $version"
  local work=$tools_dir/src/e2e-suite-$version
  write_kubernetes_module "$work" berth.local/tools/e2e-suite "sample-apiserver sample-controller sample-cli-plugin" \
    k8s.io/kubernetes/test/e2e k8s.io/kubernetes/test/images/agnhost
  # agnhost's sctp dependency is missing from go.sum after tidy; `go get` records it.
  (cd "$work" && go get k8s.io/kubernetes/test/images/agnhost)
  local ldflags
  ldflags=$(version_ldflags "$version")
  (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/agnhost.tmp" k8s.io/kubernetes/test/images/agnhost)
  # The suite is a Ginkgo test package: `go test -c` compiles it into one binary, as upstream's
  # `make WHAT=test/e2e/e2e.test` does.
  (cd "$work" && go test -c -trimpath -ldflags "$ldflags" -o "$bin_dir/e2e.test.tmp" k8s.io/kubernetes/test/e2e)
  mv -f "$bin_dir/agnhost.tmp" "$bin_dir/agnhost"
  mv -f "$bin_dir/e2e.test.tmp" "$bin_dir/e2e.test"
  touch "$stamp_dir/$stamp"
}

# The Ginkgo CLI, which runs e2e.test in parallel processes (`npm run conformance -- --procs N`), at
# the version the suite's module requires, built in that module. Its own stamp: adding it
# rebuilds nothing else.
build_ginkgo() {
  local work=$tools_dir/src/e2e-suite-$KUBERNETES_VERSION
  local version; version=$(awk '$1 == "github.com/onsi/ginkgo/v2" { print $2 }' "$work/go.mod")
  [ -n "$version" ] || { echo "go-tools: $work/go.mod requires no github.com/onsi/ginkgo/v2" >&2; return 1; }
  local stamp=ginkgo-$version
  if is_built "$stamp" ginkgo; then
    echo "go-tools: ginkgo $version cached"
    return
  fi
  echo "go-tools: building ginkgo $version"
  (cd "$work" && go build -trimpath -o "$bin_dir/ginkgo.tmp" github.com/onsi/ginkgo/v2/ginkgo)
  mv -f "$bin_dir/ginkgo.tmp" "$bin_dir/ginkgo"
  touch "$stamp_dir/$stamp"
}

if [ "${1:-}" = e2e-suite ]; then
  build_e2e_suite
  build_ginkgo
  exit 0
fi

build_cri_tools
build_etcd
build_containerd
build_metrics_server
build_kubernetes
build_kubeadm
build_sample_device_plugin
build_e2e_suite
build_ginkgo
