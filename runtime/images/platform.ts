// Choosing the manifest for one platform out of an image index / manifest list, with the
// normalization containerd applies (x86_64 → amd64, aarch64 → arm64, arm64's implied variant v8,
// arm's implied v7) and arm's backwards compatibility (a v7 host runs v6 and v5 images).
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { Descriptor, Platform } from './oci-types.js';

const archAliases: Record<string, string> = { x86_64: 'amd64', x86: '386', i386: '386', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };
const nodeArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The platform this node runs: linux plus the Node.js architecture in OCI spelling. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: nodeArch[process.arch] ?? process.arch };
}

/** Parses "linux/arm64/v8" (os/arch[/variant]); "amd64" alone means linux/amd64. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  const valid = /^[a-z0-9][a-z0-9_.-]*$/;
  if (parts.length > 3 || parts.some((part) => !valid.test(part))) {
    throw new InvalidArgumentError(`invalid platform ${JSON.stringify(text)}: expected os/architecture[/variant], e.g. linux/arm64/v8`);
  }
  const [first = '', second, variant] = parts;
  const platform: Platform = second === undefined ? { os: 'linux', architecture: first } : { os: first, architecture: second };
  if (variant !== undefined) platform.variant = variant;
  return normalizePlatform(platform);
}

export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const architecture = archAliases[platform.architecture.toLowerCase()] ?? platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase();
  if (architecture === 'arm64' && (variant === undefined || variant === '' || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && (variant === undefined || variant === '')) variant = 'v7';
  if (architecture === 'amd64' && (variant === '' || variant === 'v1')) variant = undefined;
  const normalized: Platform = { os, architecture };
  if (variant !== undefined) normalized.variant = variant;
  return normalized;
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined && part !== '').join('/');
}

/**
 * How well `candidate` serves `wanted`: 0 is an exact match, higher is a compatible fallback,
 * undefined means it cannot run. A wanted platform without a variant accepts any variant.
 */
export function platformRank(wanted: Platform, candidate: Platform): number | undefined {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  if (wanted.variant === undefined || wanted.variant === '') return 0;
  if (w.variant === c.variant) return 0;
  if (w.architecture === 'arm') {
    const order = ['v8', 'v7', 'v6', 'v5'];
    const from = order.indexOf(w.variant ?? '');
    const to = order.indexOf(c.variant ?? '');
    if (from !== -1 && to > from) return to - from;
  }
  if (w.architecture === 'amd64' && c.variant === undefined) return 1;
  return undefined;
}

/** Picks the best descriptor for `wanted`; NotFoundError lists what the index offers. */
export function selectPlatformManifest(manifests: readonly Descriptor[], wanted: Platform, imageName: string): Descriptor {
  let best: { descriptor: Descriptor; rank: number } | undefined;
  for (const descriptor of manifests) {
    if (!descriptor.platform) continue;
    const rank = platformRank(wanted, descriptor.platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { descriptor, rank };
  }
  if (best) return best.descriptor;
  const available = manifests.flatMap((descriptor) => (descriptor.platform ? [formatPlatform(descriptor.platform)] : [])).filter((platform) => platform !== 'unknown/unknown');
  throw new NotFoundError(`image ${imageName} has no manifest for platform ${formatPlatform(wanted)}; available: ${available.join(', ') || 'none'}`);
}
