// One berth process per root dir: the stores assume a single writer. The lock is a pid file
// created exclusively; a file left by a dead process is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../common/errors.js';

export interface RootLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockRootDir(rootDir: string): Promise<RootLock> {
  const path = join(rootDir, 'berth.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new FailedPreconditionError(`berth (pid ${owner}) already uses ${rootDir}; stop it or choose another --root-dir`);
      }
      await rm(path, { force: true });
    }
  }
  throw new FailedPreconditionError(`cannot lock ${rootDir}: another process keeps taking it`);
}
