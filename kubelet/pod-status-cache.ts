// The runtime state of each pod as last read through the CRI, owned by the PLEG (upstream's
// kubecontainer.Cache): a relist inspects only the pods whose sandboxes or containers changed and
// stores what it read, and a pod worker reads its pod from here instead of asking the runtime
// again. Freshness is ordered by ticks, not clocks: an entry carries the tick taken before its read
// began, and a worker that has just changed the runtime asks for an entry begun after its change,
// so it never acts on a picture that predates its own writes.
import type { Container__Output, PodSandbox__Output } from '../api/cri/messages.js';
import type { CriPort } from './cri-port.js';
import { inspectPod, observePod, type ObservedPod, type TerminationMessageReader } from './pod-runtime-state.js';

interface Entry {
  observed: ObservedPod;
  /** The tick taken before the read that produced it began. */
  tick: number;
}

export class PodStatusCache {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(
    private readonly cri: CriPort,
    /** Reads exited containers' termination messages; absent: only the runtime's message. */
    private readonly terminationMessage?: TerminationMessageReader,
  ) {}

  /** One pod's state from its listed sandboxes and containers (what the PLEG found changed). */
  inspect(sandboxes: readonly PodSandbox__Output[], containers: readonly Container__Output[]): Promise<ObservedPod> {
    return inspectPod(this.cri, sandboxes, containers, this.terminationMessage);
  }

  /** A point in the cache's order: reads begun after it see everything done before it. */
  tick(): number {
    return ++this.clock;
  }

  /** Stores a pod's state read from tick `tick` on; an older read never replaces a newer one. */
  set(uid: string, observed: ObservedPod, tick: number): void {
    const current = this.entries.get(uid);
    if (current && current.tick > tick) return;
    this.entries.set(uid, { observed, tick });
  }

  delete(uid: string): void {
    this.entries.delete(uid);
  }

  /**
   * The pod's state from a read begun after `notBefore`: the cached one when it is that fresh,
   * else read through the CRI once (and cached for whoever asks next).
   */
  async read(uid: string, notBefore: number): Promise<ObservedPod> {
    const cached = this.entries.get(uid);
    if (cached && cached.tick > notBefore) return cached.observed;
    const tick = this.tick();
    const observed = await observePod(this.cri, uid, this.terminationMessage);
    this.set(uid, observed, tick);
    return observed;
  }
}
