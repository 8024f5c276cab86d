// docker's named volumes: directories berth keeps under its root dir, outliving the containers
// that mount them. Layout, as docker's local driver:
//
//   <root-dir>/volumes/                 0701, refused as a mount (host-paths.ts) but for _data
//   <root-dir>/volumes/<name>/volume.json   the record {version: 1, name, createdAt, labels, anonymous}
//   <root-dir>/volumes/<name>/_data/    0755, what a container mounts (the mountpoint)
//
// A volume reaches a container as an ordinary CRI host-path mount of its mountpoint, so the store
// never hears about containers: whoever asks whether a volume is in use passes the host paths the
// runtime's containers mount. Create is idempotent (docker answers an existing volume of the name
// unchanged); creates and removals run one at a time so a create never meets a half-removed volume.
//
// A name is docker's ([a-zA-Z0-9][a-zA-Z0-9_.-]+): it cannot hold "/" and cannot be "." or "..",
// so <root>/volumes/<name> is always one directory level below the volumes dir.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { writeJsonAtomic, removeTempFiles } from '../../common/atomic-file.js';
import { diskUsage } from '../../common/disk-usage.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { checkVolumeName, validVolumeName } from '../../common/volume-name.js';

export interface VolumeRecord {
  version: 1;
  name: string;
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  /** Made for `run -v /path` without a name; `volume prune` without -a removes only these. */
  anonymous: boolean;
}

export interface CreateVolume {
  name: string;
  driver: string;
  labels: Record<string, string>;
  driverOptions: Record<string, string>;
  anonymous: boolean;
}

function isAtOrBelow(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

export class VolumeStore {
  private readonly volumes = new Map<string, VolumeRecord>();
  /** Creates and removals, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** <root-dir>/volumes */
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Loads every volume under <rootDir>/volumes; a directory without a readable record is logged and left alone. */
  static async open(rootDir: string, logger: Logger): Promise<VolumeStore> {
    const store = new VolumeStore(join(rootDir, 'volumes'), logger);
    await mkdir(store.dir, { recursive: true, mode: 0o701 });
    for (const name of await readdir(store.dir)) {
      if (!validVolumeName.test(name)) continue;
      await removeTempFiles(join(store.dir, name));
      try {
        const record = JSON.parse(await readFile(join(store.dir, name, 'volume.json'), 'utf8')) as VolumeRecord;
        // The record's name must be its directory's: a record edited to name another path is not trusted.
        if (record.version !== 1 || record.name !== name) throw new Error(`unexpected version ${record.version} or name ${String(record.name)}`);
        store.volumes.set(name, record);
      } catch (error) {
        logger.error({ volume: name, err: error }, 'volume without a readable record left alone (remove its directory by hand)');
      }
    }
    return store;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The host directory containers mount. */
  mountpoint(name: string): string {
    return join(this.dir, name, '_data');
  }

  list(): VolumeRecord[] {
    return [...this.volumes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): VolumeRecord {
    checkVolumeName(name);
    const record = this.volumes.get(name);
    if (!record) throw new NotFoundError(`no such volume: ${name}`);
    return record;
  }

  /** The volumes whose mountpoint `hostPath` is, or lies below: what a mount of it uses. */
  volumesOf(hostPath: string): string[] {
    const path = normalize(hostPath);
    return [...this.volumes.keys()].filter((name) => isAtOrBelow(path, this.mountpoint(name)));
  }

  async create(request: CreateVolume): Promise<VolumeRecord> {
    if (request.driver !== '' && request.driver !== 'local') throw new InvalidArgumentError(`volume driver "${request.driver}": berth has only the "local" driver`);
    const options = Object.keys(request.driverOptions);
    if (options.length > 0) {
      throw new InvalidArgumentError(`volume driver options (${options.join(', ')}): berth's local driver takes none (no type/device/o mounts); mount a host path with -v /host/path:/path instead`);
    }
    const name = request.name === '' ? randomBytes(32).toString('hex') : request.name;
    checkVolumeName(name);
    return this.serialized(async () => {
      const existing = this.volumes.get(name);
      if (existing) return existing;
      const record: VolumeRecord = { version: 1, name, createdAt: new Date().toISOString(), labels: { ...request.labels }, anonymous: request.anonymous || request.name === '' };
      const volumeDir = join(this.dir, name);
      await mkdir(volumeDir, { mode: 0o700 }).catch((error: { code?: string }) => {
        // A directory without a record (a crash between mkdir and the record): made again below.
        if (error.code !== 'EEXIST') throw error;
      });
      await mkdir(this.mountpoint(name), { recursive: true, mode: 0o755 });
      await writeJsonAtomic(join(volumeDir, 'volume.json'), record);
      this.volumes.set(name, record);
      this.logger.info({ volume: name }, 'volume created');
      return record;
    });
  }

  /** Removes a volume no container uses; `usedBy` answers the containers mounting it. */
  async remove(name: string, usedBy: (name: string) => Promise<string[]>): Promise<void> {
    this.get(name);
    return this.serialized(async () => {
      if (!this.volumes.has(name)) throw new NotFoundError(`no such volume: ${name}`);
      const users = await usedBy(name);
      if (users.length > 0) {
        throw new FailedPreconditionError(`remove ${name}: volume is in use - [${users.join(', ')}]: remove those containers first (berth rm -f)`);
      }
      // The record goes first: a crash part way leaves a directory the next start ignores, never a
      // record whose data is half gone.
      this.volumes.delete(name);
      await rm(join(this.dir, name, 'volume.json'), { force: true });
      await rm(join(this.dir, name), { recursive: true, force: true });
      this.logger.info({ volume: name }, 'volume removed');
    });
  }

  /** Whether the volume's data dir has nothing in it (docker fills only an empty volume from the image). */
  async isEmpty(name: string): Promise<boolean> {
    return (await readdir(this.mountpoint(name)).catch(() => ['?'])).length === 0;
  }

  /** The bytes a volume's contents take on disk (du), the data dir itself not counted: an empty volume reclaims 0B, as in docker. */
  async size(name: string): Promise<number> {
    const data = this.mountpoint(name);
    const entries = await readdir(data).catch(() => [] as string[]);
    return (await diskUsage(...entries.map((entry) => join(data, entry)))).bytes;
  }
}
