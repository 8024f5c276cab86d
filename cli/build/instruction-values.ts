// The values of instructions, read as docker reads them: ENV/LABEL/ARG pairs, EXPOSE ports,
// HEALTHCHECK options and durations, the exec or shell form of a command. Pure; a bad value is a
// DockerfileError naming the line.
import { DockerfileError } from './dockerfile-error.js';
import type { Instruction } from './dockerfile-parser.js';
import { ExpansionError, expandWord, expandWords, type Variables } from './variable-expansion.js';

/** Runs `work`, turning an expansion error into one that names the instruction's line. */
export function onLine<T>(instruction: Instruction, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ExpansionError) throw new DockerfileError(instruction.line, `${instruction.keyword}: ${error.message}`);
    throw error;
  }
}

/** ENV and LABEL: `key=value ...`, or the old one-pair form `ENV key the value`. */
export function keyValuePairs(instruction: Instruction, variables: Variables, escapeChar: string): [string, string][] {
  return onLine(instruction, () => {
    const first = /^\S+/.exec(instruction.rest)?.[0] ?? '';
    if (!first.includes('=')) {
      const value = instruction.rest.slice(first.length).trim();
      if (instruction.keyword === 'LABEL' || value === '') throw new DockerfileError(instruction.line, `${instruction.keyword} needs key=value pairs`);
      return [[expandWord(first, variables, escapeChar), expandWord(value, variables, escapeChar)]];
    }
    return expandWords(instruction.rest, variables, escapeChar).map((word) => {
      const at = word.indexOf('=');
      if (at <= 0) throw new DockerfileError(instruction.line, `${instruction.keyword}: ${JSON.stringify(word)} is not key=value`);
      return [word.slice(0, at), word.slice(at + 1)] as [string, string];
    });
  });
}

/** ARG name[=default] ...: each name with its default, undefined when it has none. */
export function argDeclarations(instruction: Instruction, variables: Variables, escapeChar: string): [string, string | undefined][] {
  return onLine(instruction, () =>
    expandWords(instruction.rest, variables, escapeChar).map((word) => {
      const at = word.indexOf('=');
      const name = at < 0 ? word : word.slice(0, at);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new DockerfileError(instruction.line, `ARG ${JSON.stringify(name)} is not a valid name`);
      return [name, at < 0 ? undefined : word.slice(at + 1)] as [string, string | undefined];
    }),
  );
}

/** EXPOSE 80 443/tcp 53/udp 8000-8002: docker's keys ("80/tcp"), ranges spelled out. */
export function exposedPorts(instruction: Instruction, variables: Variables, escapeChar: string): string[] {
  return onLine(instruction, () =>
    expandWords(instruction.rest, variables, escapeChar).flatMap((word) => {
      const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
      if (!match?.[1]) throw new DockerfileError(instruction.line, `EXPOSE ${JSON.stringify(word)}: expected PORT[-PORT][/tcp|udp|sctp]`);
      const first = Number(match[1]);
      const last = match[2] ? Number(match[2]) : first;
      if (first < 1 || last > 65535 || last < first) throw new DockerfileError(instruction.line, `EXPOSE ${word}: ports are 1-65535, the range low to high`);
      const protocol = (match[3] ?? 'tcp').toLowerCase();
      return Array.from({ length: last - first + 1 }, (_, offset) => `${first + offset}/${protocol}`);
    }),
  );
}

/** A command in its exec form (JSON) or shell form (run by the stage's SHELL). */
export function commandOf(instruction: Instruction, shell: readonly string[]): string[] {
  return instruction.json ?? [...shell, instruction.rest];
}

const durationUnits: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds, as docker stores HEALTHCHECK's. */
export function parseDuration(text: string, line: number, flag: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new DockerfileError(line, `HEALTHCHECK --${flag}=${text}: not a duration (e.g. 30s, 1m30s)`);
  return Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * (durationUnits[part[2] as string] ?? 0), 0));
}

export type Healthcheck = NonNullable<import('../../runtime/images/oci-types.js').ImageRunConfig['Healthcheck']>;

/** HEALTHCHECK NONE, or HEALTHCHECK [--interval=...] CMD command. */
export function healthcheckOf(instruction: Instruction): Healthcheck {
  const [word = '', ...restWords] = instruction.rest.split(/\s+/);
  if (word.toUpperCase() === 'NONE') {
    if (restWords.length > 0 || instruction.flags.size > 0) throw new DockerfileError(instruction.line, 'HEALTHCHECK NONE takes no arguments or flags');
    return { Test: ['NONE'] };
  }
  if (word.toUpperCase() !== 'CMD') throw new DockerfileError(instruction.line, 'HEALTHCHECK takes NONE or CMD followed by a command');
  const text = instruction.rest.slice(word.length).trim();
  if (text === '') throw new DockerfileError(instruction.line, 'HEALTHCHECK CMD needs a command');
  let json: unknown;
  try {
    json = text.startsWith('[') ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const exec = Array.isArray(json) && json.every((item) => typeof item === 'string') ? (json as string[]) : undefined;
  const check: Healthcheck = { Test: exec ? ['CMD', ...exec] : ['CMD-SHELL', text] };
  const durations = [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['start-period', 'StartPeriod'],
    ['start-interval', 'StartInterval'],
  ] as const;
  for (const [flag, field] of durations) {
    const value = instruction.flags.get(flag);
    if (value !== undefined) check[field] = parseDuration(value, instruction.line, flag);
  }
  const retries = instruction.flags.get('retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries) || Number(retries) < 1) throw new DockerfileError(instruction.line, `HEALTHCHECK --retries=${retries}: must be a whole number of at least 1`);
    check.Retries = Number(retries);
  }
  return check;
}
