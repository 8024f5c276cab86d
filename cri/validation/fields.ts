// Checks of single CRI request fields, shared by the handlers' validators. Every refusal names the
// field as the proto spells it (metadata.name, mounts[2].host_path) and quotes at most a short
// head of the value: a message quoting a 64 KiB name would not fit in gRPC's trailers, and the
// client would see a transport error instead of the refusal.
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';

const shownChars = 80;

/** A value for a message: JSON-quoted (NULs and newlines visible), cut after 80 characters. */
export function quoted(value: string): string {
  if (value.length <= shownChars) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, shownChars))}… (${value.length} characters)`;
}

/** What berth hands out: 64 lower-case hex digits; crictl users may give any unique prefix. */
const idPattern = /^[a-f0-9]{1,64}$/;

/**
 * An id that no berth object can have (a path separator, "..", a NUL, over 64 characters) names
 * nothing: NotFound, before the runtime looks. Empty ids are left to the runtime, which answers
 * them as the CRI tools expect.
 */
export function checkId(field: 'pod_sandbox_id' | 'container_id', value: string): void {
  if (value === '' || idPattern.test(value)) return;
  const kind = field === 'pod_sandbox_id' ? 'pod sandbox' : 'container';
  throw new NotFoundError(`${field} ${quoted(value)} names no ${kind}: berth ids are at most 64 hex digits`);
}

/** Kubernetes object names fit in 253 characters (a DNS subdomain); uids are shorter still. */
const maxNameLength = 253;

/**
 * A metadata string that becomes part of berth's object names (k8s_<name>_<namespace>_…), CNI
 * arguments and the kubelet's log directory: "_" would make names ambiguous, "/" or ".." would
 * address other files, control characters (NUL above all) cannot cross execve or a file name.
 */
export function checkMetadataString(field: string, value: string): void {
  if (value === '') throw new InvalidArgumentError(`${field} must not be empty`);
  if (value.length > maxNameLength) throw new InvalidArgumentError(`${field} ${quoted(value)} is longer than ${maxNameLength} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidArgumentError(`${field} ${quoted(value)} contains a control character`);
  if (/[\s/\\_]|\.\./.test(value)) throw new InvalidArgumentError(`${field} ${quoted(value)} may not contain "/", "\\", "_", ".." or whitespace`);
}

/**
 * The API server's limit on a pod's annotations (keys plus values), so anything a kubelet passes
 * on fits; labels are far smaller in Kubernetes. berth keeps both maps in every record and answer.
 */
export const maxMapBytes = 256 * 1024;

export function checkStringMap(field: 'labels' | 'annotations', map: Readonly<Record<string, string>>): void {
  let bytes = 0;
  let entries = 0;
  for (const [key, value] of Object.entries(map)) {
    if (key === '') throw new InvalidArgumentError(`${field} has an empty key`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    entries++;
  }
  if (bytes > maxMapBytes) {
    throw new InvalidArgumentError(`${field} hold ${bytes} bytes in ${entries} entries; berth accepts at most ${maxMapBytes} bytes (keys plus values), as the API server does for annotations`);
  }
}

/** PATH_MAX: no path the kernel takes is longer. */
export const maxPathLength = 4096;

/** An absolute, clean path: no NUL, no ".." segment (Kubernetes refuses those in hostPath too). */
export function checkAbsolutePath(field: string, value: string): void {
  if (value === '') throw new InvalidArgumentError(`${field} must not be empty`);
  if (value.length > maxPathLength) throw new InvalidArgumentError(`${field} ${quoted(value)} is longer than ${maxPathLength} characters`);
  if (value.includes('\0')) throw new InvalidArgumentError(`${field} ${quoted(value)} contains a NUL byte`);
  if (!value.startsWith('/')) throw new InvalidArgumentError(`${field} ${quoted(value)} must be an absolute path`);
  if (value.split('/').includes('..')) throw new InvalidArgumentError(`${field} ${quoted(value)} must not contain ".." segments`);
}

/** A path relative to a directory the request also names, which it must stay inside. */
export function checkRelativePath(field: string, value: string): void {
  if (value.length > maxPathLength) throw new InvalidArgumentError(`${field} ${quoted(value)} is longer than ${maxPathLength} characters`);
  if (value.includes('\0')) throw new InvalidArgumentError(`${field} ${quoted(value)} contains a NUL byte`);
  if (value.startsWith('/')) throw new InvalidArgumentError(`${field} ${quoted(value)} must be relative to the pod's log directory`);
  if (value.split('/').includes('..')) throw new InvalidArgumentError(`${field} ${quoted(value)} must not contain ".." segments`);
}
