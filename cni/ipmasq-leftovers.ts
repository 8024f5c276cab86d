// The bridge plugin's ipMasq rules of a sandbox whose netns is gone. The plugin (1.1.1, Debian's)
// deletes a sandbox's `CNI-<hash>` nat chain only for the addresses it finds inside the netns, so
// a DEL without a netns (allowed by the CNI spec; all a runtime has left after a crash that lost
// the pin, or after the pin was removed first) releases the IP but leaves the chain and its
// POSTROUTING jump behind for good. Every one of those rules carries the comment
// `name: "<network>" id: "<container id>"` (the plugins' utils.FormatComment), which names them
// without the netns: berth deletes them by that comment.
import type { Abortable } from '../common/abort.js';
import { failureText, runChild, type ChildLimits } from '../common/child-process.js';
import { InternalError } from '../common/errors.js';

export interface IpMasqLeftovers {
  /** Deletes the nat POSTROUTING rules commented for `network`/`containerId` and the chains they jump to. Idempotent. */
  remove(network: string, containerId: string, options?: Abortable): Promise<void>;
}

/** The comment the bridge plugin puts on a sandbox's ipMasq rules (Go's %q of each value). */
export function ipMasqComment(network: string, containerId: string): string {
  return `name: ${JSON.stringify(network)} id: ${JSON.stringify(containerId)}`;
}

/** Splits one line of `iptables -S` into its arguments (double quotes with backslash escapes). */
export function splitRule(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted && c === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (c === ' ' && !quoted) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

/**
 * Pure: from `iptables -t nat -S`, the POSTROUTING rule specs (without `-A POSTROUTING`) that carry
 * `comment`, and the CNI- chains that hold such rules or are jumped to by them (a chain the plugin
 * made but had not yet jumped to when it was cut short counts too).
 */
export function ipMasqRulesIn(natTable: string, comment: string): { rules: string[][]; chains: string[] } {
  const rules: string[][] = [];
  const chains = new Set<string>();
  for (const line of natTable.split('\n')) {
    const args = splitRule(line.trim());
    const chain = args[1];
    if (args[0] !== '-A' || !chain) continue;
    const spec = args.slice(2);
    const at = spec.indexOf('--comment');
    if (at < 0 || spec[at + 1] !== comment) continue;
    if (chain.startsWith('CNI-')) chains.add(chain);
    if (chain !== 'POSTROUTING') continue;
    rules.push(spec);
    const jump = spec.indexOf('-j');
    const target = jump >= 0 ? spec[jump + 1] : undefined;
    if (target?.startsWith('CNI-')) chains.add(target);
  }
  return { rules, chains: [...chains] };
}

/** How long one iptables command may take (-w waits for the xtables lock within it). */
const iptablesTimeoutMs = 30_000;

export class IptablesIpMasqLeftovers implements IpMasqLeftovers {
  constructor(private readonly binaries: string[] = ['iptables', 'ip6tables']) {}

  async remove(network: string, containerId: string, options: Abortable = {}): Promise<void> {
    const comment = ipMasqComment(network, containerId);
    const errors: string[] = [];
    const limits = (what: string): ChildLimits => ({ signal: options.signal, timeoutMs: iptablesTimeoutMs, what });
    for (const binary of this.binaries) {
      // A host without that family's nat table (no ip6tables, no module) has nothing to delete.
      const listed = await runChild(binary, ['-w', '-t', 'nat', '-S'], {}, limits(`${binary} -S`));
      if (listed.exitCode !== 0) continue;
      const { rules, chains } = ipMasqRulesIn(listed.stdout, comment);
      const commands = [
        ...rules.map((spec) => ['-D', 'POSTROUTING', ...spec]),
        ...chains.flatMap((chain) => [
          ['-F', chain],
          ['-X', chain],
        ]),
      ];
      for (const args of commands) {
        const result = await runChild(binary, ['-w', '-t', 'nat', ...args], {}, limits(`${binary} ${args.join(' ')}`));
        if (result.exitCode !== 0) errors.push(`${binary} ${args.join(' ')}: ${failureText(result)}`);
      }
    }
    if (errors.length > 0) throw new InternalError(`cannot delete the ipMasq rules of sandbox ${containerId} in network ${network}: ${errors.join('; ')}`);
  }
}
