#!/usr/bin/env bash
# The GPU proof of issue 6 on a lent GPU machine, from the kit that pack.sh made (.gpu-proof/):
# berth runtime with no GPU flags (driver and devices found at /), then `berth run --gpus`:
# nvidia-smi -L in a container (the binary injected from the host) against the host's, and
# cuda-probe (a CUDA driver-API program that names each GPU and allocates memory on it).
# Everything it prints also goes to $OUT/gpu-proof.log, with berth's log beside it.
#
# GPU_PROOF_DRIVER_ROOT / GPU_PROOF_DEVICE_ROOT point berth at a synthetic host instead, to
# rehearse the kit on a machine without a GPU (its nvidia-smi is a stub, and cuda-probe fails).
set -uo pipefail
cd "$(dirname "$0")/../.."
kit=$PWD/.gpu-proof
out=${OUT:-/tmp/gpu-proof-out}
base=${GPU_PROOF_DIR:-/tmp/berth-gpu-proof}
driver_root=${GPU_PROOF_DRIVER_ROOT:-/}
device_root=${GPU_PROOF_DEVICE_ROOT:-/}
image=localhost/berth/gpu-proof:latest
mkdir -p "$out"
exec > >(tee "$out/gpu-proof.log") 2>&1

section() { printf '\n== %s\n' "$*"; }
[ -f "$kit/node.xz" ] || { echo "gpu-proof: no kit in $kit: run scripts/gpu-proof/pack.sh here first and carry .gpu-proof"; exit 1; }

rm -rf "$base"
mkdir -p "$base/app" "$base/host" "$base/cni" "$base/cdi"
xz -dc "$kit/node.xz" >"$base/node" && chmod +x "$base/node"
tar -xJf "$kit/berth.tar.xz" -C "$base/app"
tar -xJf "$kit/host.tar.xz" -C "$base/host"
export PATH=$base/host/bin:$PATH LD_LIBRARY_PATH=$base/host/lib
berth() { "$base/node" "$base/app/bin/berth.js" "$@"; }

section "the machine"
uname -r
grep -E '^PRETTY_NAME=' /etc/os-release
ldd --version | head -1
echo "cgroup fs: $(stat -fc %T /sys/fs/cgroup), uid $(id -u), crun $(crun --version | head -1), conmon $(conmon --version | head -1)"

section "the host's GPUs and driver"
if [ "$driver_root" = / ]; then host_smi=$(command -v nvidia-smi); else host_smi=$(find "$driver_root" -name nvidia-smi -type f | head -1); fi
echo "nvidia-smi: ${host_smi:-none}"
host_list=$("$host_smi" -L 2>&1)
echo "$host_list"
ls -l "$device_root"/dev/nvidia* 2>&1
cat "$device_root"/proc/driver/nvidia/gpus/*/information 2>&1 | head -12
ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvidia-ml\.so' || echo "(no driver library in the host's ld.so.cache)"
ls "$driver_root/usr/local/nvidia/lib64" 2>/dev/null | grep -E '^libcuda|^libnvidia-ml' || true

section "berth"
# Snapshots are overlayfs upper dirs, which an overlayfs root (usual in a VM image) cannot hold.
mkdir -p "$base/root"
if [ "$(stat -fc %T "$base")" = overlayfs ]; then mount -t tmpfs -o size=8g berth-gpu-proof "$base/root" && echo "root dir on a tmpfs (this / is overlayfs)"; fi
berth image import --root-dir "$base/root" --name localhost/berth/gpu-proof "$kit/image.tar" || exit 1
berth runtime --root-dir "$base/root" --state-dir "$base/state" --socket "$base/berth.sock" --metrics-address '' \
  --cni-conf-dir "$base/cni" --cdi-spec-dir "$base/cdi" --gpu-driver-root "$driver_root" --gpu-device-root "$device_root" \
  >"$base/berth.log" 2>&1 &
berth_pid=$!
trap 'kill $berth_pid 2>/dev/null; wait $berth_pid 2>/dev/null; cp "$base/berth.log" "$out/berth.log"; awk -v b="$base/" "index(\$2, b) == 1 {print \$2}" /proc/mounts | sort -r | xargs -r -n1 umount -l' EXIT
for _ in $(seq 100); do [ -S "$base/berth.sock" ] && break; kill -0 $berth_pid 2>/dev/null || break; sleep 0.2; done
[ -S "$base/berth.sock" ] || { echo "berth did not start:"; cat "$base/berth.log"; exit 1; }
export CONTAINER_RUNTIME_ENDPOINT=unix://$base/berth.sock
grep -E '"msg":"[^"]*(GPU|gpu|CDI|cdi|ldconfig)' "$base/berth.log" | head -10
ls "$base/cdi"
run=(run --rm --network host --pull never --log-root "$base/logs")

section "nvidia-smi -L in a berth container (--gpus all) against the host's"
container_list=$(berth "${run[@]}" --gpus all "$image" nvidia-smi -L 2>&1)
echo "$container_list"
if [ -n "$host_list" ] && [ "$container_list" = "$host_list" ]; then verdict="nvidia-smi -L: the same in the container as on the host"; else verdict="nvidia-smi -L: DIFFERENT in the container"; fi
echo "$verdict"

section "a CUDA process in a berth container (--gpus all): cuda-probe"
berth "${run[@]}" --gpus all "$image" cuda-probe
echo "exit code $?"

section "--gpus device=0: the devices, the variables, the cache"
berth "${run[@]}" --gpus device=0 "$image" sh -c 'ls -l /dev/nvidia*; env | grep ^NVIDIA_; LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD=libcuda.so.1 cuda-probe | grep libcuda'

section "--gpus device=0,capabilities=utility: nvidia-smi, and no libcuda (cuda-probe should fail)"
berth "${run[@]}" --gpus 'device=0,capabilities=utility' "$image" sh -c 'nvidia-smi -L; cuda-probe; echo "cuda-probe exit code $?"'

section "no --gpus: no GPU"
berth "${run[@]}" "$image" sh -c 'ls /dev/nvidia* 2>&1; command -v nvidia-smi || echo "no nvidia-smi"'

section "verdict"
echo "$verdict"
