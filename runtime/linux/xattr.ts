// The extended-attribute adapter. Node has no xattr API, so this drives `setfattr`/`getfattr` from
// Debian's `attr` package. Always with -h: an attribute lands on the entry named, never on what a
// symlink there points at. One process per attribute is slow, but layers carry few (file
// capabilities, SELinux labels) and whiteout conversion sets one per opaque directory.
import { BerthError, InternalError, errorMessage } from '../../common/errors.js';

export interface Xattrs {
  /** Sets `name` on `path` itself (not following a symlink) to the exact bytes of `value`. */
  set(path: string, name: string, value: Uint8Array): Promise<void>;
  /** The value of `name` on `path` itself, or undefined when it has none. */
  get(path: string, name: string): Promise<Buffer | undefined>;
}

export class AttrToolsXattrs implements Xattrs {
  constructor(private readonly binaries: { setfattr: string; getfattr: string } = { setfattr: 'setfattr', getfattr: 'getfattr' }) {}

  async set(path: string, name: string, value: Uint8Array): Promise<void> {
    // Hex keeps binary values (security.capability) intact through argv.
    const hex = `0x${Buffer.from(value).toString('hex')}`;
    const { execa } = await loadExeca();
    try {
      await execa(this.binaries.setfattr, ['-h', '-n', name, '-v', value.length === 0 ? '""' : hex, '--', path], {
        timeout: 30_000,
      });
    } catch (error) {
      throw wrap(error, `set xattr ${name} on ${path}`);
    }
  }

  async get(path: string, name: string): Promise<Buffer | undefined> {
    const { execa } = await loadExeca();
    const result = await execa(this.binaries.getfattr, ['-h', '--absolute-names', '--only-values', '-e', 'hex', '-n', name, '--', path], { timeout: 30_000, reject: false, encoding: 'buffer' });
    const stderr = Buffer.from(result.stderr).toString('utf8');
    if (result.exitCode !== 0) {
      if (/No such attribute/i.test(stderr)) return undefined;
      throw new InternalError(`cannot get xattr ${name} of ${path}: ${stderr.trim() || `exit ${String(result.exitCode)}`}`);
    }
    // --only-values prints the raw bytes (-e only applies to the name=value form).
    return Buffer.from(result.stdout);
  }
}

/** execa, loaded on first use: a berth that pulls no layer with xattrs never needs it (idle memory). */
const loadExeca = () => import('execa');

function wrap(error: unknown, what: string): BerthError {
  if (error instanceof BerthError) return error;
  const stderr = (error as { stderr?: string }).stderr?.trim();
  return new InternalError(`cannot ${what}: ${stderr || errorMessage(error)}`, { cause: error });
}
