#!/bin/bash
# TEST-WORLD PLUMBING, not part of berth: the OCI runtime the kind tests register with their
# private dockerd (--add-runtime ... --default-runtime). These machines' capability bounding set
# lacks CAP_SYS_RESOURCE (CapBnd 000001fffeffffff, ENVIRONMENT.md 2026-12-07), and docker 20.10's
# `run --privileged`, which kind uses for every node, asks runc for every capability the kernel
# knows: runc then fails with "unable to apply caps: operation not permitted". A privileged
# container can only have the bounding set, so this removes the capabilities outside it from the
# bundle's config.json (create/run) and from the process file of `runc exec --process`, then runs
# the real runc with the same arguments. Everything else passes through untouched.
set -euo pipefail
real_runc=${BERTH_TEST_REAL_RUNC:-/usr/sbin/runc}

# Capability names by number (linux/capability.h), for the bits of this process's bounding set.
names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
  NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
  SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
  AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
  PERFMON BPF CHECKPOINT_RESTORE)
bounding=$((16#$(awk '/^CapBnd:/{print $2}' /proc/self/status)))
allowed=()
for i in "${!names[@]}"; do
  (( (bounding >> i) & 1 )) && allowed+=("CAP_${names[$i]}")
done
allowed_json=$(printf '%s\n' "${allowed[@]}" | jq -R . | jq -cs .)

# Keeps only bounding-set capabilities in every capability list under PATH (a jq path to the
# "capabilities" object: .process.capabilities in config.json, .capabilities in a process file).
restrict() { # file jq-path
  local file=$1 path=$2 tmp
  [ -f "$file" ] || return 0
  tmp=$(mktemp "$file.XXXXXX")
  jq --argjson allowed "$allowed_json" \
    "if $path then $path |= with_entries(.value |= map(select(. as \$c | \$allowed | index(\$c)))) else . end" \
    "$file" >"$tmp"
  chmod --reference="$file" "$tmp"
  mv -f "$tmp" "$file"
}

command= bundle=. process=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[$i]} in
    --bundle | -b) bundle=${args[$((i + 1))]} ;;
    --bundle=*) bundle=${args[$i]#--bundle=} ;;
    --process | -p) process=${args[$((i + 1))]} ;;
    --process=*) process=${args[$i]#--process=} ;;
    create | run | exec) [ -z "$command" ] && command=${args[$i]} ;;
  esac
done
case $command in
  create | run) restrict "$bundle/config.json" .process.capabilities ;;
  exec) [ -n "$process" ] && restrict "$process" .capabilities ;;
esac
exec "$real_runc" "$@"
