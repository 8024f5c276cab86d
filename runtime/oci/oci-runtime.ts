// The OCI runtime adapter: runc (or crun, which takes the same commands) run as a program with
// its own state root, so two berth instances on one host never see each other's containers.
// Every failure becomes a BerthError naming the container and quoting the runtime
// (runtime-errors.ts). Creating a container is not here: conmon runs `create` (conmon.ts).
//
// Lifecycle as the runtime reports it:
//   creating → created --start--> running --exit/kill--> stopped --delete--> (gone)
//                         running --pause--> paused --resume--> running
import { spawn, type ChildProcess } from 'node:child_process';
import type { Abortable } from '../../common/abort.js';
import { failureText, runChild } from '../../common/child-process.js';
import { InternalError } from '../../common/errors.js';
import { runtimeError } from './runtime-errors.js';
import { signalNumber } from './signals.js';
import type { OciRuntimeName } from './runtime-selection.js';

export type RuntimeStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

export interface RuntimeState {
  id: string;
  status: RuntimeStatus;
  /** The container's init pid on the host; 0 once stopped. */
  pid: number;
  bundle: string;
  /** RFC 3339 creation time as the runtime wrote it. */
  created: string;
}

export interface OciRuntimeOptions {
  name: OciRuntimeName;
  /** Absolute path of the binary. */
  path: string;
  /** The runtime's state directory (`--root`): one per berth instance. */
  root: string;
  /** Cgroups through systemd (`--systemd-cgroup`: cgroupsPath is slice:prefix:name). */
  systemdCgroup?: boolean;
}

/** How long one runtime command may take before it is killed (a frozen cgroup, a hung FUSE mount). */
const runtimeCommandTimeoutMs = 60_000;

const statuses: ReadonlySet<string> = new Set(['creating', 'created', 'running', 'stopped', 'paused']);

/** Pure: one container's state from the runtime's JSON (state or list output). */
export function parseRuntimeState(value: unknown, source: string): RuntimeState {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { id, status, pid, bundle, created } = record;
  if (typeof id !== 'string' || typeof status !== 'string' || !statuses.has(status) || typeof pid !== 'number') {
    throw new InternalError(`${source} printed a container state berth does not understand: ${JSON.stringify(value)}`);
  }
  return {
    id,
    status: status as RuntimeStatus,
    pid,
    bundle: typeof bundle === 'string' ? bundle : '',
    created: typeof created === 'string' ? created : '',
  };
}

export class OciRuntime {
  readonly name: OciRuntimeName;
  readonly path: string;
  readonly root: string;
  readonly #systemdCgroup: boolean;

  constructor(options: OciRuntimeOptions) {
    this.name = options.name;
    this.path = options.path;
    this.root = options.root;
    this.#systemdCgroup = options.systemdCgroup ?? false;
  }

  /** Arguments that go before every subcommand, also handed to conmon as --runtime-arg. */
  globalArgs(): string[] {
    // runc and crun read --systemd-cgroup at create (conmon passes it on) and when they act on
    // the container's cgroup later (update, kill --all, delete); on every command it is harmless.
    return [`--root=${this.root}`, '--log-format=json', ...(this.#systemdCgroup ? ['--systemd-cgroup'] : [])];
  }

  private async run(operation: string, containerId: string, args: string[], options: { input?: string } & Abortable = {}): Promise<string> {
    const what = `${this.name} ${operation} of container ${containerId}`;
    const result = await runChild(this.path, [...this.globalArgs(), ...args], options.input === undefined ? {} : { input: options.input }, {
      signal: options.signal,
      timeoutMs: runtimeCommandTimeoutMs,
      what,
    });
    if (result.exitCode !== 0) {
      const stderr = result.stderr === '' ? failureText(result) : result.stderr;
      throw runtimeError({ runtime: this.name, operation, containerId, stderr, exitCode: result.exitCode });
    }
    return result.stdout;
  }

  async state(id: string, options: Abortable = {}): Promise<RuntimeState> {
    const stdout = await this.run('state', id, ['state', id], options);
    return parseRuntimeState(parseJson(stdout, `${this.name} state ${id}`), `${this.name} state ${id}`);
  }

  /** Every container under this root. */
  async list(options: Abortable = {}): Promise<RuntimeState[]> {
    const stdout = await this.run('list', '(all)', ['list', '--format=json'], options);
    // runc prints "null" for an empty root (and nothing at all when the root does not exist yet).
    const parsed = stdout.trim() === '' ? null : parseJson(stdout, `${this.name} list`);
    if (parsed === null) return [];
    if (!Array.isArray(parsed)) throw new InternalError(`${this.name} list printed ${stdout.slice(0, 200)}, not a list`);
    return parsed.map((entry) => parseRuntimeState(entry, `${this.name} list`));
  }

  async start(id: string, options: Abortable = {}): Promise<void> {
    await this.run('start', id, ['start', id], options);
  }

  /** Sends `signal` to the container's init, or with `all` to every process in its cgroup. */
  async kill(id: string, signal: string | number, options: { all?: boolean } & Abortable = {}): Promise<void> {
    const number = signalNumber(signal);
    await this.run('kill', id, ['kill', ...(options.all ? ['--all'] : []), id, String(number)], options);
  }

  /** Forgets a stopped container; with `force`, kills a running one first. */
  async delete(id: string, options: { force?: boolean } & Abortable = {}): Promise<void> {
    await this.run('delete', id, ['delete', ...(options.force ? ['--force'] : []), id], options);
  }

  /** Applies linux resources (the OCI `linux.resources` object) to a running container. */
  async update(id: string, resources: object, options: Abortable = {}): Promise<void> {
    await this.run('update', id, ['update', '--resources=-', id], { ...options, input: JSON.stringify(resources) });
  }

  async pause(id: string, options: Abortable = {}): Promise<void> {
    await this.run('pause', id, ['pause', id], options);
  }

  async resume(id: string, options: Abortable = {}): Promise<void> {
    await this.run('resume', id, ['resume', id], options);
  }

  /**
   * Starts the process in `processSpecPath` (an OCI process JSON) in a running container and
   * returns once it has started; its pid is written to `pidFile`.
   */
  async execDetached(id: string, processSpecPath: string, pidFile: string, options: Abortable = {}): Promise<void> {
    await this.run('exec', id, ['exec', '--detach', `--process=${processSpecPath}`, `--pid-file=${pidFile}`, id], options);
  }

  /**
   * Spawns `exec` attached: the process's stdout/stderr are the child's pipes, and the child
   * exits with the process's exit code (128+n when killed by signal n). The runtime's own
   * messages go to `logFile` as JSON lines so they never mix with the process's stderr.
   */
  exec(id: string, processSpecPath: string, options: { pidFile: string; logFile: string }): ChildProcess {
    return spawn(this.path, [`--root=${this.root}`, `--log=${options.logFile}`, '--log-format=json', 'exec', `--process=${processSpecPath}`, `--pid-file=${options.pidFile}`, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InternalError(`${source} printed output that is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}
