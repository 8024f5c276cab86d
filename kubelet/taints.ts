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
