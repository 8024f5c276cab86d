// A last sanity check of a finished spec, so that a broken spec fails here with a message naming
// the field instead of inside runc with "container_linux.go: ... invalid argument". Also run on
// specs that other spec options (GPU, CDI) have touched after berth's own.
import { InvalidArgumentError } from '../../../common/errors.js';
import { allCapabilities } from './capabilities.js';
import { isAtOrBelow } from './container-paths.js';
import { maxUnixId } from './decimal.js';
import type { Spec } from './runtime-spec.js';

const knownCapabilities = new Set(allCapabilities);

function isId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= maxUnixId;
}

function processProblems(spec: Spec): string[] {
  const { process } = spec;
  const problems: string[] = [];
  if (process.args.length === 0 || process.args[0] === '') problems.push('process.args is empty');
  if (!process.cwd.startsWith('/')) problems.push(`process.cwd "${process.cwd}" is not absolute`);
  for (const entry of process.env) {
    if (entry.indexOf('=') <= 0) problems.push(`process.env entry "${entry}" is not KEY=VALUE`);
  }
  const ids = [process.user.uid, process.user.gid, ...(process.user.additionalGids ?? [])];
  if (!ids.every(isId)) problems.push(`process.user has an id outside 0..${maxUnixId}`);
  if (process.oomScoreAdj !== undefined && (process.oomScoreAdj < -1000 || process.oomScoreAdj > 1000)) {
    problems.push(`process.oomScoreAdj ${process.oomScoreAdj} is outside -1000..1000`);
  }
  const caps = process.capabilities;
  if (caps) {
    const unknown = [...caps.bounding, ...caps.effective, ...caps.permitted, ...caps.inheritable, ...caps.ambient].filter((c) => !knownCapabilities.has(c));
    if (unknown.length > 0) problems.push(`process.capabilities names unknown capabilities: ${[...new Set(unknown)].join(', ')}`);
  }
  return problems;
}

function mountProblems(spec: Spec): string[] {
  const problems: string[] = [];
  spec.mounts.forEach((mount, index) => {
    if (!mount.destination.startsWith('/')) problems.push(`mount destination "${mount.destination}" is not absolute`);
    const parentAfter = spec.mounts.slice(index + 1).find((later) => later.destination !== mount.destination && isAtOrBelow(mount.destination, later.destination));
    if (parentAfter) problems.push(`mount ${mount.destination} comes before its parent ${parentAfter.destination}`);
  });
  return problems;
}

function linuxProblems(spec: Spec): string[] {
  const { linux } = spec;
  const problems: string[] = [];
  const types = linux.namespaces.map((n) => n.type);
  const repeated = types.filter((t, i) => types.indexOf(t) !== i);
  if (repeated.length > 0) problems.push(`linux.namespaces repeats ${[...new Set(repeated)].join(', ')}`);
  if (spec.hostname !== undefined && !types.includes('uts')) problems.push('hostname is set without a uts namespace');
  for (const device of linux.devices ?? []) {
    if (!device.path.startsWith('/')) problems.push(`device path "${device.path}" is not absolute`);
  }
  if (linux.seccomp?.syscalls?.some((s) => s.names.length === 0)) {
    problems.push('a seccomp rule names no syscalls');
  }
  return problems;
}

/** Everything wrong with `spec`, as sentences; empty when it looks runnable. */
export function specProblems(spec: Spec): string[] {
  const problems = [...processProblems(spec), ...mountProblems(spec), ...linuxProblems(spec)];
  if (!spec.root.path.startsWith('/')) problems.push(`root.path "${spec.root.path}" is not absolute`);
  return problems;
}

export function validateSpec(spec: Spec): void {
  const problems = specProblems(spec);
  if (problems.length > 0) throw new InvalidArgumentError(`the OCI spec is not runnable: ${problems.join('; ')}`);
}
