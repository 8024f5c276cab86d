// The one adapter to the node's systemd for the systemd cgroup driver: slices started, changed
// and stopped over D-Bus (busctl calls on org.freedesktop.systemd1.Manager, the calls runc and
// the upstream kubelet make through go-systemd), each bounded by a timeout. The kubelet (QoS and
// pod slices) and the runtime (slices of pods without a parent, live limits on units) use it;
// unit tests pass a recorder.
//
// Contract
//   ensureSlice(name, props)  the slice exists, is active and has `props`. A new slice is a
//                             transient unit (StartTransientUnit); one already loaded (an earlier
//                             call, a slice systemd made on its own as the parent of a scope)
//                             gets the properties (SetUnitProperties, runtime) and a start.
//                             Returns once systemd reports it active. Idempotent.
//   setProperties(unit, props) changes a loaded unit's properties at run time (NOT_FOUND without it).
//   stopUnit(name)            stops the unit and returns once it is inactive or gone; systemd
//                             removes the cgroup it made. An absent unit: nothing to do.
//   activeState(name)         ActiveState ("active", "inactive", ...), or undefined for a unit
//                             systemd does not have loaded.
import { stat } from 'node:fs/promises';
import type { Abortable } from '../abort.js';
import { failureText, runChild } from '../child-process.js';
import { DeadlineExceededError, FailedPreconditionError, NotFoundError } from '../errors.js';
import { busctlPropertyArgs, type UnitProperty } from './unit-properties.js';

export interface SystemdUnits {
  ensureSlice(name: string, props: readonly UnitProperty[], options?: Abortable): Promise<void>;
  setProperties(unit: string, props: readonly UnitProperty[], options?: Abortable): Promise<void>;
  stopUnit(name: string, options?: Abortable): Promise<void>;
  activeState(name: string, options?: Abortable): Promise<string | undefined>;
}

const destination = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'];

export interface BusctlSystemdOptions {
  /** Each busctl call's bound (busctl's own --timeout and the child's); default 10 s. */
  timeoutMs?: number;
  /** How long a start or stop job may take to settle; default 30 s. */
  settleMs?: number;
  busctl?: string;
}

/** systemd over its D-Bus API, through busctl (part of systemd: on every host that runs it). */
export class BusctlSystemd implements SystemdUnits {
  readonly #timeoutMs: number;
  readonly #settleMs: number;
  readonly #busctl: string;

  constructor(options: BusctlSystemdOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#settleMs = options.settleMs ?? 30_000;
    this.#busctl = options.busctl ?? 'busctl';
  }

  async #call(what: string, args: string[], options: Abortable): Promise<{ ok: boolean; stdout: string; error: string }> {
    const result = await runChild(
      this.#busctl,
      ['--system', `--timeout=${Math.ceil(this.#timeoutMs / 1000)}`, ...args],
      {},
      { timeoutMs: this.#timeoutMs + 2_000, what: `systemd ${what}`, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (result.spawnError) throw new FailedPreconditionError(`systemd ${what}: busctl could not run (${result.spawnError.message}); the systemd cgroup driver needs systemd and its busctl`);
    return { ok: result.exitCode === 0, stdout: result.stdout, error: failureText(result) };
  }

  async ensureSlice(name: string, props: readonly UnitProperty[], options: Abortable = {}): Promise<void> {
    const description: UnitProperty = { name: 'Description', type: 's', value: `berth: ${name}` };
    const started = await this.#call(
      `StartTransientUnit ${name}`,
      ['call', ...destination, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', name, 'replace', ...busctlPropertyArgs([description, ...props]), '0'],
      options,
    );
    if (!started.ok) {
      // UnitExists: loaded already (ours from before, or made by systemd as a scope's parent).
      if (!/already (exists|loaded)|has a fragment/i.test(started.error)) throw new FailedPreconditionError(`systemd could not start slice ${name}: ${started.error}`);
      await this.setProperties(name, props, options);
      const start = await this.#call(`StartUnit ${name}`, ['call', ...destination, 'StartUnit', 'ss', name, 'replace'], options);
      if (!start.ok) throw new FailedPreconditionError(`systemd could not start slice ${name}: ${start.error}`);
    }
    await this.#settle(name, (state) => state === 'active', options);
  }

  async setProperties(unit: string, props: readonly UnitProperty[], options: Abortable = {}): Promise<void> {
    if (props.length === 0) return;
    const set = await this.#call(`SetUnitProperties ${unit}`, ['call', ...destination, 'SetUnitProperties', 'sba(sv)', unit, 'true', ...busctlPropertyArgs(props)], options);
    if (set.ok) return;
    if (/not loaded|not found|NoSuchUnit/i.test(set.error)) throw new NotFoundError(`systemd has no unit ${unit} to set ${props.map((p) => p.name).join(', ')} on`);
    throw new FailedPreconditionError(`systemd refused ${props.map((p) => `${p.name}=${p.value}`).join(' ')} on ${unit}: ${set.error}`);
  }

  async stopUnit(name: string, options: Abortable = {}): Promise<void> {
    const stop = await this.#call(`StopUnit ${name}`, ['call', ...destination, 'StopUnit', 'ss', name, 'replace'], options);
    if (!stop.ok && !/not loaded|not found|NoSuchUnit/i.test(stop.error)) throw new FailedPreconditionError(`systemd could not stop ${name}: ${stop.error}`);
    await this.#settle(name, (state) => state === undefined || state === 'inactive' || state === 'failed', options);
  }

  async activeState(name: string, options: Abortable = {}): Promise<string | undefined> {
    const path = await this.#call(`GetUnit ${name}`, ['call', ...destination, 'GetUnit', 's', name], options);
    if (!path.ok) {
      if (/not loaded|not found|NoSuchUnit/i.test(path.error)) return undefined;
      throw new FailedPreconditionError(`systemd could not look up ${name}: ${path.error}`);
    }
    const objectPath = /^o "([^"]+)"/.exec(path.stdout.trim())?.[1];
    if (!objectPath) throw new FailedPreconditionError(`systemd answered GetUnit ${name} with ${JSON.stringify(path.stdout.trim())}`);
    const state = await this.#call(`ActiveState of ${name}`, ['get-property', 'org.freedesktop.systemd1', objectPath, 'org.freedesktop.systemd1.Unit', 'ActiveState'], options);
    // A transient unit that stopped is unloaded between the two calls.
    if (!state.ok)
      return /unknown object|not loaded|not found/i.test(state.error) ? undefined : Promise.reject(new FailedPreconditionError(`systemd could not report ${name}'s state: ${state.error}`));
    return /^s "([^"]*)"/.exec(state.stdout.trim())?.[1];
  }

  /** Waits, bounded, for the job systemd queued to take the unit to a state `done` accepts. */
  async #settle(name: string, done: (state: string | undefined) => boolean, options: Abortable): Promise<void> {
    const deadline = Date.now() + this.#settleMs;
    let state = await this.activeState(name, options);
    while (!done(state)) {
      if (Date.now() > deadline) throw new DeadlineExceededError(`systemd unit ${name} is still ${state ?? 'absent'} after ${this.#settleMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = await this.activeState(name, options);
    }
  }
}

/** Whether systemd runs the host (sd_booted(3): /run/systemd/system is a directory), under `root`. */
export async function systemdIsInit(root = '/'): Promise<boolean> {
  return stat(`${root.replace(/\/+$/, '')}/run/systemd/system`).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
