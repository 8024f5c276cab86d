#!/usr/bin/env bash
# Extracts Debian's cloud kernel (and its modules) for the pure cgroup v2 guest that runs under
# qemu (TCG: KVM is broken for nested guests on these machines). Not installed on the host: only
# unpacked into $BERTH_TOOLS_DIR/guest/<package-version>/, with guest/current pointing at it.
set -euo pipefail

tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
meta=linux-image-cloud-amd64
# The metapackage depends on the versioned image package; that one holds the kernel.
package=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
if [ -z "$package" ]; then
  apt-get update -qq
  package=$(apt-cache depends "$meta" | awk '/Depends: linux-image-/{print $2; exit}')
fi
version=$(apt-cache policy "$package" | awk '/Candidate:/{print $2}')
out=$tools_dir/guest/$package-$version
release=${package#linux-image-}
if [ -f "$out/vmlinuz" ] && [ -f "$out/lib/modules/$release/modules.dep" ]; then
  echo "guest-kernel: $package $version cached"
  ln -sfn "$(basename "$out")" "$tools_dir/guest/current"
  exit 0
fi
echo "guest-kernel: extracting $package $version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work" # apt downloads as the _apt user
(cd "$work" && apt-get download -qq "$package=$version")
dpkg-deb -x "$work"/*.deb "$work/root"
rm -rf "$out" && mkdir -p "$out"
cp "$work"/root/boot/vmlinuz-* "$out/vmlinuz"
mkdir -p "$out/lib"
mv "$work/root/lib/modules" "$out/lib/modules"
# The package leaves modules.dep to its postinst; without it the guest's modprobe finds nothing.
depmod -b "$out" "$release"
ln -sfn "$(basename "$out")" "$tools_dir/guest/current"
echo "guest-kernel: $out"
