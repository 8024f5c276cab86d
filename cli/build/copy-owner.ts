// COPY/ADD --chown=USER[:GROUP]: numbers as they are, names looked up in the image's own
// /etc/passwd and /etc/group (never the build machine's), as docker does. A uid given alone takes
// its user's primary group, or the same number when it is not a named user.
import { InvalidArgumentError } from '../../common/errors.js';

interface IdFile {
  passwd: string | undefined;
  group: string | undefined;
}

function lookup(file: string | undefined, name: string, what: string, path: string): string[] {
  const line = (file ?? '').split('\n').find((entry) => entry.split(':')[0] === name);
  if (!line) throw new InvalidArgumentError(`--chown: no ${what} ${JSON.stringify(name)} in the image's ${path}`);
  return line.split(':');
}

/** The owner --chown names; `files` reads the image's passwd and group when a name needs them. */
export async function resolveOwner(spec: string, files: () => Promise<IdFile>): Promise<{ uid: number; gid: number }> {
  const [user = '', group, ...extra] = spec.split(':');
  if (user === '' || extra.length > 0 || group === '') throw new InvalidArgumentError(`--chown=${spec}: expected USER[:GROUP]`);
  const numeric = (text: string) => /^\d+$/.test(text);
  const needFiles = !numeric(user) || (group !== undefined && !numeric(group));
  const ids = needFiles ? await files() : { passwd: undefined, group: undefined };
  let uid: number;
  let primaryGid: number;
  if (numeric(user)) {
    uid = Number(user);
    const named = (ids.passwd ?? '').split('\n').find((entry) => entry.split(':')[2] === user);
    primaryGid = named ? Number(named.split(':')[3]) : uid;
  } else {
    const fields = lookup(ids.passwd, user, 'user', '/etc/passwd');
    uid = Number(fields[2]);
    primaryGid = Number(fields[3]);
  }
  if (group === undefined) return { uid, gid: primaryGid };
  const gid = numeric(group) ? Number(group) : Number(lookup(ids.group, group, 'group', '/etc/group')[2]);
  return { uid, gid };
}
