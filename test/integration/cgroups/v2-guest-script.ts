// Shell for the v2 guest, generated from berth's own pure mapping (limitsToV2Files): node cannot
// run in the guest, so the [file, value] pairs berth would write become `echo` lines, and each
// write is read back so the test sees what the kernel kept.
import type { Limits } from '../../../runtime/cgroups/limits.js';
import { limitsToV2Files } from '../../../runtime/cgroups/v2-files.js';

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes `limits` into the cgroup directory `dir`; prints "write-failed FILE" for a refusal. */
export function applyLines(dir: string, limits: Limits): string {
  return limitsToV2Files(limits)
    .map(([file, value]) => `echo ${quote(value)} > ${dir}/${file} || echo "write-failed ${file}"`)
    .join('\n');
}

/** Prints "readback <dir-name> <file> <value>" for each file the limits write. */
export function readbackLines(name: string, dir: string, limits: Limits): string {
  return limitsToV2Files(limits)
    .map(([file]) => `echo "readback ${name} ${file} $(cat ${dir}/${file})"`)
    .join('\n');
}

/** The [file, value] pairs, for the test's expectations. */
export function expectedReadback(name: string, limits: Limits): string[] {
  return limitsToV2Files(limits).map(([file, value]) => `readback ${name} ${file} ${value}`);
}

/** Prints the files of a cgroup directory between markers, for parsing with berth's own code. */
export function dumpLines(label: string, dir: string, files: string[]): string {
  return files.map((file) => `echo "=== ${label} ${file}"; cat ${dir}/${file}; echo "=== end"`).join('\n');
}

/** The dumps in the guest's output: label → file → text. */
export function parseDumps(output: string): Map<string, Record<string, string>> {
  const dumps = new Map<string, Record<string, string>>();
  for (const match of output.matchAll(/^=== (\S+) (\S+)\n([\s\S]*?)^=== end$/gm)) {
    const [, label = '', file = '', text = ''] = match;
    dumps.set(label, { ...dumps.get(label), [file]: text });
  }
  return dumps;
}

/**
 * Polls a shell condition every half second until it holds, for at most `seconds` of guest time.
 * The bound only stops a guest that would otherwise run to the harness's limit: TCG on a loaded
 * 2-core host runs 10-50x slower than an idle one, so it is far above what an idle run needs.
 */
export function waitUntil(condition: string, seconds = 120): string {
  return `i=0; while [ $i -lt ${seconds * 2} ] && ! { ${condition}; }; do sleep 0.5; i=$((i+1)); done`;
}

/**
 * A shell command that makes `tail` hold `megabytes` MiB of anonymous memory (it keeps a
 * newline-less input until it ends), then prints "held" on stderr and sleeps. The writer prints
 * "held" once all but the pipe's last buffer (64 KiB) is in tail, so asking for one MiB more
 * than a test expects makes "held" mean "resident": the script waits for the hog's own word
 * instead of polling memory.current against a clock that a slow guest outruns.
 */
export function holdMemory(megabytes: number): string {
  return `(head -c ${megabytes}m /dev/zero; echo held >&2; sleep 60) | tail >/dev/null`;
}
