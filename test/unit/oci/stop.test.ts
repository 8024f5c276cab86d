// Stop logic with a recording fake runtime: which signals go out, in which order.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../common/errors.js';
import { stopContainer, type StopPorts } from '../../../runtime/oci/stop.js';

/** A container that exits when it receives one of `diesOn`. */
function recorder(options: { diesOn: string[]; exited?: boolean; killError?: Error }): StopPorts & { signals: string[] } {
  let exited = options.exited ?? false;
  const signals: string[] = [];
  return {
    signals,
    async kill(_id, signal) {
      signals.push(signal);
      if (options.killError) throw options.killError;
      if (options.diesOn.includes(signal)) exited = true;
    },
    async exited() {
      return exited;
    },
  };
}

describe('stopContainer', () => {
  it('sends the stop signal and stops there when the container exits on it', async () => {
    const ports = recorder({ diesOn: ['SIGTERM'] });
    expect(await stopContainer(ports, 'c1', { timeoutSeconds: 5, stopSignal: 'SIGTERM', pollIntervalMs: 1 })).toBe('exited-after-signal');
    expect(ports.signals).toEqual(['SIGTERM']);
  });

  it('sends SIGKILL after the timeout when the container ignores the stop signal', async () => {
    const ports = recorder({ diesOn: ['SIGKILL'] });
    expect(await stopContainer(ports, 'c1', { timeoutSeconds: 0.05, stopSignal: 'SIGQUIT', pollIntervalMs: 1 })).toBe('killed');
    expect(ports.signals).toEqual(['SIGQUIT', 'SIGKILL']);
  });

  it('sends only SIGKILL when the timeout is zero', async () => {
    const ports = recorder({ diesOn: ['SIGKILL'] });
    await stopContainer(ports, 'c1', { timeoutSeconds: 0, stopSignal: 'SIGTERM', pollIntervalMs: 1 });
    expect(ports.signals).toEqual(['SIGKILL']);
  });

  it('sends SIGKILL once when the stop signal is SIGKILL itself', async () => {
    const ports = recorder({ diesOn: ['SIGKILL'] });
    await stopContainer(ports, 'c1', { timeoutSeconds: 5, stopSignal: 'KILL', pollIntervalMs: 1 });
    expect(ports.signals).toEqual(['SIGKILL']);
  });

  it('signals nothing when the container has already exited', async () => {
    const ports = recorder({ diesOn: [], exited: true });
    expect(await stopContainer(ports, 'c1', { timeoutSeconds: 5 })).toBe('already-exited');
    expect(ports.signals).toEqual([]);
  });

  it('fails with DEADLINE_EXCEEDED when even SIGKILL shows no exit', async () => {
    const ports = recorder({ diesOn: [] });
    await expect(stopContainer(ports, 'c1', { timeoutSeconds: 0, killWaitMs: 20, pollIntervalMs: 1 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('treats a runtime that no longer knows the container as gone and waits for the exit', async () => {
    let checks = 0;
    const ports: StopPorts = {
      kill: () => Promise.reject(new NotFoundError('container does not exist')),
      exited: async () => ++checks > 2,
    };
    expect(await stopContainer(ports, 'c1', { timeoutSeconds: 0, pollIntervalMs: 1 })).toBe('killed');
  });
});
