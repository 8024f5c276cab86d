// Which uid, gid and supplementary groups a container process runs with, by the rules the
// kubelet expects of containerd: the CRI security context (run_as_user / run_as_username /
// run_as_group) wins over the image's `User` ("", uid, name, uid:gid, name:group); names are
// looked up in the image's own /etc/passwd and /etc/group; the primary gid is the user's passwd
// group (0 when the uid has no entry); supplementary groups are the user's /etc/group
// memberships (dropped under the Strict policy) plus the CRI supplemental_groups.
import { InvalidArgumentError } from '../../../common/errors.js';
import { looksNumeric, parseUnixId } from './decimal.js';
import { parseGroup, parsePasswd, type PasswdEntry } from './etc-files.js';

export interface UserRequest {
  /** CRI run_as_user (int64 as decimal text); wins over everything else. */
  runAsUser?: string;
  runAsUsername?: string;
  /** CRI run_as_group; replaces any group the user string names. */
  runAsGroup?: string;
  /** The image config's `User`. */
  imageUser?: string;
  supplementalGroups: readonly string[];
  /** Strict: only the primary and the requested groups, not the image's /etc/group memberships. */
  supplementalGroupsPolicy: 'Merge' | 'Strict';
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Always starts with the primary gid (CVE-2023-25173: a process must not shed its group). */
  additionalGids: number[];
  /** The passwd name of the uid, when the image has one. */
  name?: string;
}

export interface EtcFiles {
  passwd: string | undefined;
  group: string | undefined;
}

// Portable user/group names (POSIX plus the trailing "$" of machine accounts). Anything else,
// notably "-1", "+1" and " 0", is refused instead of being looked up or parsed leniently.
const namePattern = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

function requireName(text: string, what: string): void {
  if (!namePattern.test(text)) {
    throw new InvalidArgumentError(`${what} "${text}" is neither a decimal id (0 to 4294967294) nor a valid name`);
  }
}

function splitUserString(text: string): { user: string; group: string | undefined } {
  const colon = text.indexOf(':');
  if (colon === -1) return { user: text, group: undefined };
  return { user: text.slice(0, colon), group: text.slice(colon + 1) };
}

function lookUpUser(user: string, passwd: PasswdEntry[] | undefined): { uid: number; entry: PasswdEntry | undefined } {
  if (looksNumeric(user)) {
    const uid = parseUnixId(user, 'user id');
    return { uid, entry: passwd?.find((e) => e.uid === uid) };
  }
  requireName(user, 'user');
  if (passwd === undefined) {
    throw new InvalidArgumentError(`user "${user}" cannot be resolved: the image has no /etc/passwd; use a numeric uid`);
  }
  const entry = passwd.find((e) => e.name === user);
  if (entry === undefined) {
    throw new InvalidArgumentError(`user "${user}" is not in the image's /etc/passwd; use a numeric uid or a user the image defines`);
  }
  return { uid: entry.uid, entry };
}

function lookUpGroup(group: string, etcGroup: string | undefined): number {
  if (looksNumeric(group)) return parseUnixId(group, 'group id');
  requireName(group, 'group');
  if (etcGroup === undefined) {
    throw new InvalidArgumentError(`group "${group}" cannot be resolved: the image has no /etc/group; use a numeric gid`);
  }
  const entry = parseGroup(etcGroup).find((g) => g.name === group);
  if (entry === undefined) {
    throw new InvalidArgumentError(`group "${group}" is not in the image's /etc/group; use a numeric gid or a group the image defines`);
  }
  return entry.gid;
}

function membershipGids(name: string | undefined, etcGroup: string | undefined): number[] {
  if (name === undefined || etcGroup === undefined) return [];
  return parseGroup(etcGroup)
    .filter((g) => g.members.includes(name))
    .map((g) => g.gid);
}

/** The user string the rules pick, before any lookup: "user" or "user:group". */
function chosenUser(request: UserRequest): { user: string; group: string | undefined } {
  let chosen: { user: string; group: string | undefined };
  if (request.runAsUser !== undefined) chosen = { user: request.runAsUser, group: undefined };
  else if (request.runAsUsername !== undefined && request.runAsUsername !== '') {
    chosen = { user: request.runAsUsername, group: undefined };
  } else chosen = splitUserString(request.imageUser ?? '');
  // An image with no User runs as root, and root's memberships apply like anyone's.
  if (chosen.user === '') {
    if (chosen.group !== undefined) throw new InvalidArgumentError(`image user ":${chosen.group}" names a group but no user`);
    chosen = { user: '0', group: undefined };
  }
  if (request.runAsGroup !== undefined) chosen = { user: chosen.user, group: request.runAsGroup };
  return chosen;
}

export function resolveUser(request: UserRequest, files: EtcFiles): ResolvedUser {
  const chosen = chosenUser(request);
  const passwd = files.passwd === undefined ? undefined : parsePasswd(files.passwd);
  const { uid, entry } = lookUpUser(chosen.user, passwd);
  const gid = chosen.group === undefined ? (entry?.gid ?? 0) : lookUpGroup(chosen.group, files.group);
  const requested = request.supplementalGroups.map((g) => parseUnixId(g, 'supplemental group'));
  const fromImage = request.supplementalGroupsPolicy === 'Strict' ? [] : membershipGids(entry?.name, files.group);
  const additionalGids = [...new Set([gid, ...fromImage, ...requested])];
  return entry === undefined ? { uid, gid, additionalGids } : { uid, gid, additionalGids, name: entry.name };
}
