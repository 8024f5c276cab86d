// The container's environment: berth's defaults, then the image's Env, then the CRI envs, each
// later source replacing an earlier variable of the same name in place (so the image's order is
// kept, as containerd does).
import type { KeyValue__Output } from '../../../api/cri/messages.js';
import { InvalidArgumentError } from '../../../common/errors.js';

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface EnvSources {
  hostname: string;
  imageEnv: readonly string[] | undefined;
  criEnvs: readonly KeyValue__Output[];
}

function criValue(value: KeyValue__Output['value'] | string): string {
  // The pinned proto declares KeyValue.value as bytes; older ones used string.
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

export function mergeEnv(sources: EnvSources): string[] {
  // A Map keeps first-insertion order, so a replaced variable stays where it was.
  const env = new Map<string, string>([
    ['PATH', defaultPath],
    ['HOSTNAME', sources.hostname],
  ]);
  for (const entry of sources.imageEnv ?? []) {
    const eq = entry.indexOf('=');
    // An image entry without "=" sets nothing under Docker's rules either; skip it.
    if (eq <= 0 || entry.includes('\0')) continue;
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const { key, value } of sources.criEnvs) {
    const text = criValue(value);
    if (key === '' || key.includes('=') || key.includes('\0') || text.includes('\0')) {
      throw new InvalidArgumentError(`environment variable "${key}" is invalid: names must be non-empty without "=" and no NUL bytes anywhere`);
    }
    env.set(key, text);
  }
  return [...env].map(([key, value]) => `${key}=${value}`);
}
