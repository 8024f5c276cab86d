// Node taints and pod tolerations (pure): the `--register-with-taints` syntax, and the matching
// rule the scheduler and the kubelet share. The kubelet itself only refuses pods that do not
// tolerate a NoExecute taint; NoSchedule is the scheduler's business.
import type { V1Taint, V1Toleration } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';

const effects = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** "key=value:Effect,key:Effect" → taints; refuses an unknown effect or an empty key. */
export function parseTaints(text: string): V1Taint[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const colon = part.lastIndexOf(':');
      const effect = colon === -1 ? '' : part.slice(colon + 1);
      if (!effects.has(effect)) throw new InvalidArgumentError(`taint ${JSON.stringify(part)}: the effect must be one of ${[...effects].join(', ')} (key=value:Effect)`);
      const [key = '', value] = part.slice(0, colon).split('=', 2);
      if (key === '') throw new InvalidArgumentError(`taint ${JSON.stringify(part)} has no key`);
      return { key, ...(value ? { value } : {}), effect };
    });
}

/** "key=value,key2=value2" (upstream --node-labels) → labels; refuses a pair without "=". */
export function parseNodeLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new InvalidArgumentError(`node label ${JSON.stringify(pair)} is not key=value`);
    labels[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return labels;
}

/** Whether `toleration` tolerates `taint`, as upstream's ToleratesTaint decides. */
export function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  // An empty key with Exists tolerates every key.
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first taint with an effect in `effectsOfInterest` that no toleration tolerates. */
export function untoleratedTaint(taints: readonly V1Taint[], tolerations: readonly V1Toleration[], effectsOfInterest: readonly string[]): V1Taint | undefined {
  return taints.find((taint) => effectsOfInterest.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)));
}
