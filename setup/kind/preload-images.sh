#!/bin/sh
# See preload-images.service. containerd may still be opening its socket when this starts.
set -eu
for _ in $(seq 60); do ctr version >/dev/null 2>&1 && break; sleep 0.5; done
for archive in /kind/images/*.tar; do
  ctr --namespace k8s.io images import --all-platforms --no-unpack --local "$archive"
done
