// postStart and preStop hooks: the same exec and httpGet handlers as probes (tcpSocket too, which
// upstream accepts but deprecates), plus sleep. A hook is bounded by the time the caller gives it:
// for preStop, the pod's termination grace period.
import type { V1LifecycleHandler } from '@kubernetes/client-node';
import { checkProbe, type ProbeDeps, type ProbeOutcome, type ProbeTarget } from './probe-check.js';

export async function runLifecycleHook(handler: V1LifecycleHandler, target: ProbeTarget, deps: ProbeDeps, timeoutSeconds: number): Promise<ProbeOutcome> {
  if (handler.sleep) {
    const seconds = Math.min(handler.sleep.seconds, timeoutSeconds);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000));
    return { ok: true };
  }
  const { exec, httpGet, tcpSocket } = handler;
  return checkProbe({ ...(exec ? { exec } : {}), ...(httpGet ? { httpGet } : {}), ...(tcpSocket ? { tcpSocket } : {}), timeoutSeconds }, target, deps);
}
