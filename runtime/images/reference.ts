// Image references as crictl and containerd users write them, normalized the way docker and
// containerd do ("busybox" → "docker.io/library/busybox:latest"). Every part is checked against
// the distribution grammar before anything builds a path or URL from it: a reference reaches
// URLs (/v2/<path>/manifests/<tag>) and records, so "../" or a newline must never get through.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component ( "/" path-component )*
//   domain     := host [ ":" port ]
import { InvalidArgumentError } from '../../common/errors.js';
import { isDigest, type Digest } from './digest.js';

export interface ImageReference {
  /** Registry host, e.g. "docker.io", "registry.k8s.io", "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: Digest;
}

export const defaultDomain = 'docker.io';
export const defaultTag = 'latest';

const maxNameLength = 255;
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const domainComponent = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const portPattern = /^[0-9]+$/;
const ipv6Pattern = /^\[[a-fA-F0-9:]+\]$/;
// Docker refuses a bare 64-hex repository because it reads as an image id.
const bareId = /^[a-f0-9]{64}$/;

/** Parses and normalizes an image reference; a name without tag or digest gets ":latest". */
export function parseReference(text: string): ImageReference {
  const refuse = (why: string): never => {
    throw new InvalidArgumentError(`invalid image reference ${quote(text)}: ${why}`);
  };
  if (text.length === 0) refuse('it is empty');
  if (text.length > maxNameLength + 1 + 128 + 1 + 71) refuse('it is too long');

  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const digestText = rest.slice(at + 1);
    if (!isDigest(digestText)) refuse(`digest ${quote(digestText)} is not "sha256:" followed by 64 lowercase hex characters`);
    digest = digestText as Digest;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  // A colon after the last slash separates the tag; one before it belongs to host:port.
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    if (!tagPattern.test(tag)) refuse(`tag ${quote(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    rest = rest.slice(0, lastColon);
  }

  const { domain, path } = splitDomain(rest, refuse);
  for (const component of path.split('/')) {
    if (!pathComponent.test(component)) {
      refuse(`repository path component ${quote(component)} must be lowercase letters and digits, separated by ".", "_", "__" or "-"`);
    }
  }
  if (path === `library/${rest}` && bareId.test(rest)) refuse('a 64-character hex string is an image id, not a name');
  if (domain.length + 1 + path.length > maxNameLength) refuse(`the name is longer than ${maxNameLength} characters`);

  const reference: ImageReference = { domain, path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  if (tag === undefined && digest === undefined) reference.tag = defaultTag;
  return reference;
}

function splitDomain(name: string, refuse: (why: string) => never): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // docker's rule: the first component is a registry host only if it looks like one.
  const looksLikeHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!looksLikeHost) {
    const path = slash === -1 ? `library/${name}` : name;
    return { domain: defaultDomain, path };
  }
  validateDomain(first, refuse);
  const domain = first === 'index.docker.io' ? defaultDomain : first;
  let path = name.slice(slash + 1);
  if (domain === defaultDomain && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

function validateDomain(domain: string, refuse: (why: string) => never): void {
  let host = domain;
  const portAt = domain.lastIndexOf(':');
  if (portAt !== -1 && !domain.endsWith(']')) {
    const port = domain.slice(portAt + 1);
    if (!portPattern.test(port) || Number(port) > 65535) refuse(`port ${quote(port)} is not a number up to 65535`);
    host = domain.slice(0, portAt);
  }
  if (ipv6Pattern.test(host)) return;
  if (host.length === 0 || !host.split('.').every((part) => domainComponent.test(part))) {
    refuse(`registry host ${quote(host)} is not a valid host name`);
  }
}

/** "docker.io/library/busybox" */
export function referenceName(reference: ImageReference): string {
  return `${reference.domain}/${reference.path}`;
}

/** The full normalized form, e.g. "docker.io/library/busybox:latest" or "…@sha256:…". */
export function formatReference(reference: ImageReference): string {
  let text = referenceName(reference);
  if (reference.tag !== undefined) text += `:${reference.tag}`;
  if (reference.digest !== undefined) text += `@${reference.digest}`;
  return text;
}

/** "docker.io/library/busybox:latest" as CRI lists it in repoTags; undefined without a tag. */
export function taggedName(reference: ImageReference): string | undefined {
  return reference.tag === undefined ? undefined : `${referenceName(reference)}:${reference.tag}`;
}

/** "docker.io/library/busybox@sha256:…", the repoDigests form. */
export function digestedName(reference: ImageReference, digest: Digest): string {
  return `${referenceName(reference)}@${digest}`;
}

/** The short form people type: "busybox:latest", "foo/bar:1", "registry.k8s.io/pause:3.9". */
export function familiarName(reference: ImageReference): string {
  let name = referenceName(reference);
  if (reference.domain === defaultDomain) {
    name = reference.path.startsWith('library/') && reference.path.split('/').length === 2 ? reference.path.slice('library/'.length) : reference.path;
  }
  if (reference.tag !== undefined) name += `:${reference.tag}`;
  if (reference.digest !== undefined) name += `@${reference.digest}`;
  return name;
}

/** Normalizes a reference string: parse then format. */
export function normalizeReference(text: string): string {
  return formatReference(parseReference(text));
}

export function isValidTag(tag: string): boolean {
  return tagPattern.test(tag);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
