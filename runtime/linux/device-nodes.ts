// The device-node adapter. Node has no mknod(2), so this runs coreutils `mknod`. mknod never
// follows or replaces what is at the path (EEXIST), so a caller that resolved the parent
// directory securely cannot be redirected by a symlink planted at the name.
import { BerthError, InternalError, errorMessage } from '../../common/errors.js';

export type DeviceNodeKind = 'char' | 'block' | 'fifo';

export interface DeviceNodeSpec {
  kind: DeviceNodeKind;
  /** Permission bits (0o7777 mask), applied exactly, without the umask. */
  mode: number;
  /** Ignored for fifos. */
  major?: number;
  minor?: number;
}

export interface DeviceNodes {
  make(path: string, spec: DeviceNodeSpec): Promise<void>;
}

const typeLetter: Record<DeviceNodeKind, string> = { char: 'c', block: 'b', fifo: 'p' };

export class MknodDeviceNodes implements DeviceNodes {
  constructor(private readonly binary = 'mknod') {}

  async make(path: string, spec: DeviceNodeSpec): Promise<void> {
    const args = ['-m', (spec.mode & 0o7777).toString(8), '--', path, typeLetter[spec.kind]];
    if (spec.kind !== 'fifo') args.push(String(spec.major ?? 0), String(spec.minor ?? 0));
    try {
      // execa is loaded on first use: most berth processes never make a device node (idle memory).
      const { execa } = await import('execa');
      await execa(this.binary, args, { timeout: 30_000 });
    } catch (error) {
      if (error instanceof BerthError) throw error;
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new InternalError(`cannot create ${spec.kind} node ${path}: ${stderr || errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}
