// Parsers for a container image's /etc/passwd and /etc/group. The files come from the image, so
// they are untrusted: malformed lines are skipped, never fatal, and ids in them go through the
// same strict parser as ids from the API (a line with uid 4294967296 must not become root).
import { looksNumeric, maxUnixId } from './decimal.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function idOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || !looksNumeric(text)) return undefined;
  const value = BigInt(text);
  return value <= BigInt(maxUnixId) ? Number(value) : undefined;
}

function contentLines(content: string): string[][] {
  return (
    content
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      // "+"/"-" lines are NIS compat entries that name no local account.
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-'))
      .map((line) => line.split(':'))
  );
}

export function parsePasswd(content: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const fields of contentLines(content)) {
    const [name, , uidText, gidText, , home] = fields;
    const uid = idOrUndefined(uidText);
    const gid = idOrUndefined(gidText);
    if (name === undefined || name === '' || uid === undefined || gid === undefined) continue;
    entries.push({ name, uid, gid, home: home ?? '' });
  }
  return entries;
}

export function parseGroup(content: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const fields of contentLines(content)) {
    const [name, , gidText, memberText] = fields;
    const gid = idOrUndefined(gidText);
    if (name === undefined || name === '' || gid === undefined) continue;
    const members = (memberText ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    entries.push({ name, gid, members });
  }
  return entries;
}
