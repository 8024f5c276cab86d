// Applies resolved CDI edits to an OCI runtime spec, the way the CDI reference does:
//   env          merged by name, the later value wins
//   deviceNodes  replace a node at the same container path; each c/b node also gets an allow
//                rule in the device cgroup, or the container could see it but not open it
//   mounts       replace a mount at the same destination; added shallow-first so a parent
//                directory is mounted before a file inside it
//   hooks        appended to the named stage
//   additionalGids appended once (gid 0 is never added: the reference refuses to grant root's group)
// Pure: mutates and returns `spec`, reads nothing.
import type { Hooks, LinuxDevice, LinuxDeviceCgroup, Mount, Spec } from '../../oci/spec/runtime-spec.js';
import type { CdiMount } from './cdi-types.js';
import type { CompleteCdiEdits, CompleteDeviceNode } from './complete-device-nodes.js';

function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

function mergeEnv(current: string[], added: readonly string[]): string[] {
  const result = [...current];
  for (const entry of added) {
    const at = result.findIndex((e) => envName(e) === envName(entry));
    if (at >= 0) result[at] = entry;
    else result.push(entry);
  }
  return result;
}

function linuxDevice(node: CompleteDeviceNode): LinuxDevice {
  const device: LinuxDevice = { path: node.path, type: node.type, major: node.major, minor: node.minor };
  // A CDI fileMode is a Go os.FileMode: its type bits are not the kernel's, only permissions carry over.
  if (node.fileMode !== undefined) device.fileMode = node.fileMode & 0o777;
  if (node.uid !== undefined) device.uid = node.uid;
  if (node.gid !== undefined) device.gid = node.gid;
  return device;
}

function allowRule(node: CompleteDeviceNode): LinuxDeviceCgroup | undefined {
  const type = node.type === 'u' ? 'c' : node.type;
  if (type !== 'c' && type !== 'b') return undefined;
  return { allow: true, type, major: node.major, minor: node.minor, access: node.permissions || 'rwm' };
}

function ociMount(m: CdiMount): Mount {
  const type = m.type ?? 'bind';
  const options = [...(m.options ?? [])];
  if (type === 'bind' && !options.includes('bind') && !options.includes('rbind')) options.push('bind');
  return { destination: m.containerPath, type, source: m.hostPath, options };
}

const depth = (path: string): number => path.split('/').filter((p) => p !== '').length;

export function applyCdiEdits(spec: Spec, all: readonly CompleteCdiEdits[]): Spec {
  const added: Mount[] = [];
  for (const { edits } of all) {
    if (edits.env !== undefined) spec.process.env = mergeEnv(spec.process.env, edits.env);

    for (const node of edits.deviceNodes ?? []) {
      const devices = (spec.linux.devices ?? []).filter((d) => d.path !== node.path);
      devices.push(linuxDevice(node));
      spec.linux.devices = devices;
      const rule = allowRule(node);
      if (rule !== undefined) {
        spec.linux.resources = { ...spec.linux.resources, devices: [...(spec.linux.resources?.devices ?? []), rule] };
      }
    }

    for (const m of edits.mounts ?? []) {
      const mount = ociMount(m);
      spec.mounts = spec.mounts.filter((x) => x.destination !== mount.destination);
      const already = added.findIndex((x) => x.destination === mount.destination);
      if (already >= 0) added.splice(already, 1);
      added.push(mount);
    }

    for (const hook of edits.hooks ?? []) {
      const hooks: Hooks = spec.hooks ?? {};
      const { hookName, ...rest } = hook;
      hooks[hookName] = [...(hooks[hookName] ?? []), rest];
      spec.hooks = hooks;
    }

    for (const gid of edits.additionalGids ?? []) {
      if (gid === 0) continue;
      const gids = spec.process.user.additionalGids ?? [];
      if (!gids.includes(gid)) spec.process.user.additionalGids = [...gids, gid];
    }
  }
  spec.mounts.push(
    ...added
      .map((m, i) => ({ m, i }))
      .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
      .map(({ m }) => m),
  );
  return spec;
}
