// The adapter that runs CNI plugin binaries. Everything above it builds invocations as data
// (invocation.ts) and takes a PluginExecutor, so unit tests pass a recorder and this file is
// integration-tested against the real plugins in /usr/lib/cni.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Abortable } from '../common/abort.js';
import { runChild } from '../common/child-process.js';
import { type BerthError, FailedPreconditionError, InternalError } from '../common/errors.js';
import type { CniCommand } from './invocation.js';
import { pluginFailure } from './plugin-error.js';

export interface PluginInvocation {
  pluginType: string;
  command: CniCommand;
  /** The CNI_* variables (pluginEnv). */
  env: Record<string, string>;
  /** The plugin's config (pluginStdin), serialized as its stdin. */
  stdin: Record<string, unknown>;
}

export interface PluginExecutor {
  /** Where plugins are looked up, in order; also CNI_PATH for plugins that call others (IPAM). */
  readonly binDirs: string[];
  /**
   * Runs the plugin; resolves with its stdout, rejects with a BerthError naming plugin and cause.
   * An abort of `signal`, or the executor's own timeout, kills the plugin and what it started.
   */
  execute(invocation: PluginInvocation, options?: Abortable): Promise<string>;
  /** The plugin binary's path; FailedPrecondition naming the dirs searched when it is missing. */
  find(pluginType: string): Promise<string>;
}

// Plugins exec helpers (iptables, ip6tables, modprobe) through PATH; berth passes a fixed one
// rather than its own environment, so nothing else of the daemon's environment leaks in.
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class ProcessPluginExecutor implements PluginExecutor {
  readonly binDirs: string[];
  private readonly timeoutMs: number;
  private readonly path: string;

  constructor(options: { binDirs: string[]; timeoutMs?: number; path?: string }) {
    if (options.binDirs.length === 0) throw new FailedPreconditionError('no CNI bin dir configured; set --cni-bin-dir');
    this.binDirs = options.binDirs;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.path = options.path ?? defaultPath;
  }

  async find(pluginType: string): Promise<string> {
    for (const dir of this.binDirs) {
      const candidate = join(dir, pluginType);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // try the next dir
      }
    }
    throw new FailedPreconditionError(`CNI plugin "${pluginType}" not found in ${this.binDirs.join(', ')}; install it (Debian: containernetworking-plugins) or point --cni-bin-dir at it`);
  }

  async execute(invocation: PluginInvocation, options: Abortable = {}): Promise<string> {
    const binary = await this.find(invocation.pluginType);
    const containerId = invocation.env.CNI_CONTAINERID;
    const what = `CNI plugin "${invocation.pluginType}" ${invocation.command}${containerId ? ` for sandbox ${containerId}` : ''}`;
    const result = await runChild(binary, [], { input: JSON.stringify(invocation.stdin), env: { ...invocation.env, PATH: this.path } }, { signal: options.signal, timeoutMs: this.timeoutMs, what });
    if (result.spawnError) throw new InternalError(`cannot run CNI plugin ${binary}: ${result.spawnError.message}`);
    if (result.exitCode !== 0) {
      const failure: BerthError = pluginFailure({
        pluginType: invocation.pluginType,
        command: invocation.command,
        stdout: result.stdout,
        stderr: result.stderr,
        exitCode: result.exitCode ?? -1,
        ...(containerId ? { containerId } : {}),
      });
      throw failure;
    }
    return result.stdout.replace(/\n$/, '');
  }
}
