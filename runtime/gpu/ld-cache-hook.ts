// Makes the injected driver libraries resolve by soname in any glibc image, as the toolkit's
// `nvidia-ctk hook update-ldcache` does: a createContainer hook (run by runc in the container's
// mount namespace, after the mounts and before pivot_root) runs the host's ldconfig chrooted into
// the container's root, which rebuilds the image's /etc/ld.so.cache from its own ld.so.conf plus
// the driver's library directories. Without it `libcuda.so.1` resolves only where the image's
// loader searches the driver's directory anyway (/usr/lib/x86_64-linux-gnu with a Debian host and
// image), never e.g. /usr/local/nvidia/lib64. -X: the soname links are bind mounts already.
// The host's ldconfig (static on Debian and RHEL) rather than the image's: an image may have
// none, and a chrooted ldconfig reads only the image's files either way.
import { access, constants } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Spec } from '../oci/spec/runtime-spec.js';

const ldconfigCandidates = ['/sbin/ldconfig', '/usr/sbin/ldconfig'];
const hookTimeoutSeconds = 30;

/** The host's ldconfig, or undefined where it has none (a musl or Nix host). */
export async function findLdconfig(candidates: readonly string[] = ldconfigCandidates): Promise<string | undefined> {
  for (const path of candidates) {
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

/** The library directories in the container that hold one of these host files, in mount order. */
export function driverLibraryDirs(spec: Spec, libraryHostPaths: ReadonlySet<string>): string[] {
  const dirs = spec.mounts.filter((m) => m.source !== undefined && libraryHostPaths.has(m.source)).map((m) => posix.dirname(m.destination));
  return [...new Set(dirs)];
}

/** The spec with the ldconfig hook added when it mounts driver libraries; unchanged otherwise. */
export function withLdCacheUpdate(spec: Spec, libraryHostPaths: ReadonlySet<string>, ldconfig: string): Spec {
  const dirs = driverLibraryDirs(spec, libraryHostPaths);
  if (dirs.length === 0) return spec;
  const hook = { path: ldconfig, args: ['ldconfig', '-r', spec.root.path, '-X', ...dirs], timeout: hookTimeoutSeconds };
  const hooks = spec.hooks ?? {};
  return { ...spec, hooks: { ...hooks, createContainer: [...(hooks.createContainer ?? []), hook] } };
}
