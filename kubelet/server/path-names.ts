// The names in a kubelet API path (/containerLogs, /exec, /attach, /portForward, /run), decoded
// once and held to the API's own rules before anything is looked up: a namespace and a container
// name are DNS-1123 labels, a pod name a DNS-1123 subdomain. A name carrying "..", a slash (raw
// or %2F), a NUL or a malformed escape is refused here with a 400 naming the part, so none can
// reach a label selector or a file path. Pure.
import { InvalidArgumentError } from '../../common/errors.js';

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Pod UIDs are UUIDs for API pods and a hex hash for static pods.
const uid = /^[A-Za-z0-9][-A-Za-z0-9]{0,63}$/;

/** A value as a message may show it: short, and with what a terminal would act on escaped. */
export function shown(value: string): string {
  const json = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return value.length > 64 ? `${json} (${value.length} characters)` : json;
}

/** The path's segments, each percent-decoded; a malformed escape is a 400, not a crash. */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((p) => p !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new InvalidArgumentError(`path segment ${shown(segment)} is not valid percent-encoding`);
      }
    });
}

const rules = {
  namespace: { pattern: label, max: 63, rule: 'a DNS-1123 label' },
  pod: { pattern: subdomain, max: 253, rule: 'a DNS-1123 subdomain' },
  container: { pattern: label, max: 63, rule: 'a DNS-1123 label' },
  uid: { pattern: uid, max: 64, rule: 'a pod UID' },
} as const;

/** Returns `value` when it is a valid name of that kind, else a 400 naming the part. */
export function checkedName(kind: keyof typeof rules, value: string): string {
  const { pattern, max, rule } = rules[kind];
  if (value.length > max || !pattern.test(value)) throw new InvalidArgumentError(`${kind} ${shown(value)} is not ${rule}`);
  return value;
}
