#!/bin/bash
# mmdebstrap's customize hook for the kind node image (setup/kind-world.sh build_node_image): makes
# the Debian rootfs at $1 into kind's base image as kind's Dockerfile (images/base in the kind
# module) does: its files, the units it enables and the ones it removes (no getty, udev or
# tmpfiles-setup in a container), then adds the pinned Kubernetes binaries, containerd 2,
# /kind/version, /kind/manifests and the images to preload.
# Environment: KIND_FILES (images/base/files of the kind module), KIND_BIN (kind-world's bin),
# TOOLS_BIN (go-tools' bin), IMAGES (the image archives), SETUP_KIND (setup/kind),
# KUBERNETES_VERSION, KIND_PAUSE_VERSION, NODE_FLAVOR: "kind" (containerd, as kind's own image) or
# "berth" (containerd disabled; Node.js and berth's runtime units; berth itself mounted at
# /opt/berth when the node runs, see berth-runtime.service).
set -euxo pipefail
root=$1

install -m 0755 "$KIND_FILES"/usr/local/bin/* "$root/usr/local/bin/"
mkdir -p "$root/kind/bin" "$root/kind/manifests" "$root/kind/images" "$root/etc/kubernetes/manifests"
install -m 0755 "$KIND_FILES"/kind/bin/* "$root/kind/bin/"
install -m 0644 "$KIND_FILES/kind/README.txt" "$root/kind/"
install -m 0644 "$KIND_FILES/etc/crictl.yaml" "$root/etc/"
mkdir -p "$root/etc/containerd" "$root/etc/default" "$root/etc/sysctl.d" "$root/etc/systemd/system/kubelet.service.d"
install -m 0644 "$KIND_FILES"/etc/default/* "$root/etc/default/"
install -m 0644 "$KIND_FILES"/etc/sysctl.d/* "$root/etc/sysctl.d/"
find "$KIND_FILES/etc/systemd/system" -maxdepth 1 -type f -exec install -m 0644 {} "$root/etc/systemd/system/" \;
install -m 0644 "$KIND_FILES"/etc/systemd/system/kubelet.service.d/* "$root/etc/systemd/system/kubelet.service.d/"

# These hosts cannot lower a process's oom_score_adj (ENVIRONMENT.md): containerd must clamp what
# pods ask for instead of failing runc create. Its sandbox image is the pause kubeadm names.
sed -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
  -e "s|registry.k8s.io/pause:[0-9.]*|registry.k8s.io/pause:$KIND_PAUSE_VERSION|" \
  "$KIND_FILES/etc/containerd/config.toml" >"$root/etc/containerd/config.toml"
for c in containerd containerd-shim-runc-v2 ctr; do install -m 0755 "$KIND_BIN/$c" "$root/usr/local/bin/$c"; done
# containerd's base OCI spec, as kind's Dockerfile derives it: with kind's product-uuid hook, without rlimits.
"$KIND_BIN/ctr" oci spec |
  jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' >"$root/etc/containerd/cri-base.json"

for c in kubelet kubeadm kubectl; do install -m 0755 "$TOOLS_BIN/$c" "$root/usr/bin/$c"; done
install -m 0755 "$TOOLS_BIN/crictl" "$root/usr/local/bin/crictl"
# containerd looks for CNI plugins in /opt/cni/bin; Debian installs them in /usr/lib/cni.
mkdir -p "$root/opt/cni" "$root/etc/cni/net.d"
ln -sfn /usr/lib/cni "$root/opt/cni/bin"

echo "$KUBERNETES_VERSION" >"$root/kind/version"
install -m 0644 "$SETUP_KIND/default-cni.yaml" "$SETUP_KIND/default-storage.yaml" "$root/kind/manifests/"
install -m 0644 "$IMAGES"/*.tar "$root/kind/images/"
install -m 0755 "$SETUP_KIND/preload-images.sh" "$root/kind/bin/preload-images.sh"
install -m 0644 "$SETUP_KIND/preload-images.service" "$root/etc/systemd/system/"

rm -f "$root"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service
find "$root"/lib/systemd/system/multi-user.target.wants "$root"/lib/systemd/system/local-fs.target.wants \
  "$root"/lib/systemd/system/basic.target.wants -mindepth 1 -maxdepth 1 -delete 2>/dev/null || true
find "$root"/etc/systemd/system -mindepth 2 -maxdepth 2 -path '*.wants/*' -delete
rm -f "$root"/lib/systemd/system/sockets.target.wants/*udev* "$root"/lib/systemd/system/sockets.target.wants/*initctl*
echo ReadKMsg=no >>"$root/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$root/sbin/init"
systemctl --root="$root" enable kubelet.service containerd.service undo-mount-hacks.service preload-images.service
systemctl --root="$root" mask systemd-binfmt.service

if [ "$NODE_FLAVOR" = berth ]; then
  install -m 0755 "$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
  mkdir -p "$root/opt/berth"
  install -m 0755 "$SETUP_KIND/berth-preload-images.sh" "$root/kind/bin/"
  install -m 0644 "$SETUP_KIND/berth-runtime.service" "$SETUP_KIND/berth-preload-images.service" "$root/etc/systemd/system/"
  systemctl --root="$root" disable containerd.service preload-images.service
  systemctl --root="$root" enable berth-runtime.service berth-preload-images.service
  echo 'KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/berth-runtime.service' >"$root/etc/default/kubelet"
  printf 'runtime-endpoint: unix:///run/berth/berth.sock\nimage-endpoint: unix:///run/berth/berth.sock\n' >"$root/etc/crictl.yaml"
fi
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
