// Image records: what CRI's ListImages/ImageStatus report and what container creation reads.
// One versioned JSON file per image under <root>/images/<config hex>.json, written atomically.
//
// Contract:
// - id = config digest; the same config reached through two manifests is one image whose
//   repoTags and repoDigests are the union of both.
// - A tag names at most one image: adding or tagging moves it, and the image it left keeps its
//   other names; one left with no names at all stays listed by id (containerd does the same).
// - remove(ref) removes the whole image, every tag included (critest expects RemoveImage of one
//   tag to remove all) and reports the blobs no remaining image references, for GC.
// - get(ref) accepts a full id, a unique id prefix, a tag reference or a digest reference;
//   it answers undefined for "not there" (ImageStatus of a missing image is not an error).
// - open() loads every record; a corrupt one is renamed aside and logged, never fatal.
// Writes are serialized in this process; records handed out are copies.
import { readFile, readdir, rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../common/atomic-file.js';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { digestHex, isDigest, parseDigest, type Digest } from './digest.js';
import type { Descriptor, ImageConfig } from './oci-types.js';
import { digestedName, parseReference, referenceName, taggedName } from './reference.js';

export const imageRecordVersion = 1;

export interface ImageRecord {
  version: typeof imageRecordVersion;
  /** The config digest. */
  id: Digest;
  /** Normalized "domain/path:tag". */
  repoTags: string[];
  /** Normalized "domain/path@sha256:<manifest digest>". */
  repoDigests: string[];
  /** Compressed layer sizes plus the config, as CRI reports it. */
  size: number;
  config: ImageConfig;
  manifestDigest: Digest;
  manifestMediaType: string;
  /** The index the manifest was selected from, when there was one. */
  indexDigest?: Digest;
  layers: Descriptor[];
  diffIds: Digest[];
  pinned: boolean;
  createdAt: string;
  updatedAt: string;
}

export type NewImage = Omit<ImageRecord, 'version' | 'pinned' | 'createdAt' | 'updatedAt'> & { pinned?: boolean };

/** Shortest id prefix accepted for lookups, as crictl prints 13 characters of an id. */
export const minIdPrefix = 4;

export class ImageStore {
  private readonly images = new Map<Digest, ImageRecord>();
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  /** Opens (creating) <root>/images and loads every record. */
  static async open(root: string, options: { logger?: Logger; now?: () => Date } = {}): Promise<ImageStore> {
    const store = new ImageStore(join(root, 'images'), options.logger ?? silentLogger(), options.now ?? (() => new Date()));
    await mkdir(store.dir, { recursive: true });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const names = (await readdir(this.dir)).filter((name) => /^[a-f0-9]{64}\.json$/.test(name)).sort();
    const loaded: ImageRecord[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        const record = checkRecord(JSON.parse(await readFile(path, 'utf8')));
        if (`${digestHex(record.id)}.json` !== name) throw new Error(`record id ${record.id} does not match its file name`);
        loaded.push(record);
      } catch (error) {
        const aside = `${path}.corrupt-${this.now().getTime()}`;
        await rename(path, aside);
        this.logger.warn({ path, quarantined: aside, err: errorMessage(error) }, 'image record is corrupt; moved aside');
      }
    }
    // A crash between the two writes of a tag move can leave a tag on two images: the newer wins.
    loaded.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    for (const record of loaded) {
      for (const other of this.images.values()) {
        other.repoTags = other.repoTags.filter((tag) => !record.repoTags.includes(tag));
      }
      this.images.set(record.id, record);
    }
  }

  list(): ImageRecord[] {
    return [...this.images.values()].map((record) => structuredClone(record));
  }

  /** The image `ref` names (id, id prefix, tag or digest reference), or undefined. */
  get(ref: string): ImageRecord | undefined {
    const found = this.find(ref);
    return found && structuredClone(found);
  }

  /** Like get, but NotFoundError when missing. */
  resolve(ref: string): ImageRecord {
    const found = this.get(ref);
    if (!found) throw new NotFoundError(`image ${JSON.stringify(ref)} is not present; pull it first`);
    return found;
  }

  private find(ref: string): ImageRecord | undefined {
    const id = isDigest(ref) ? ref : /^[a-f0-9]{64}$/.test(ref) ? (`sha256:${ref}` as Digest) : undefined;
    if (id) return this.images.get(id);

    let byName: ImageRecord | undefined;
    let parsed: ReturnType<typeof parseReference> | undefined;
    try {
      parsed = parseReference(ref);
    } catch {
      parsed = undefined;
    }
    if (parsed) {
      const tagged = taggedName(parsed);
      const digested = parsed.digest && digestedName(parsed, parsed.digest);
      for (const image of this.images.values()) {
        if (digested !== undefined ? image.repoDigests.includes(digested) : tagged !== undefined && image.repoTags.includes(tagged)) {
          byName = image;
          break;
        }
      }
      if (byName) return byName;
    }

    const prefix = /^(?:sha256:)?([a-f0-9]+)$/.exec(ref)?.[1];
    if (prefix === undefined || prefix.length < minIdPrefix) return undefined;
    const matches = [...this.images.values()].filter((image) => digestHex(image.id).startsWith(prefix));
    if (matches.length > 1) {
      throw new InvalidArgumentError(`image id prefix ${JSON.stringify(ref)} matches ${matches.length} images; give more characters`);
    }
    return matches[0];
  }

  /**
   * Adds an image or merges names into the existing one with the same id; its tags move away
   * from any other image that had them.
   */
  add(image: NewImage): Promise<ImageRecord> {
    return this.serialized(async () => {
      parseDigest(image.id, 'image id');
      const now = this.now().toISOString();
      const existing = this.images.get(image.id);
      const record: ImageRecord = {
        ...(existing ?? {}),
        ...image,
        version: imageRecordVersion,
        repoTags: union(existing?.repoTags ?? [], image.repoTags),
        repoDigests: union(existing?.repoDigests ?? [], image.repoDigests),
        pinned: image.pinned ?? existing?.pinned ?? false,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (image.indexDigest === undefined) delete record.indexDigest;
      await this.untagOthers(record.id, image.repoTags, now);
      await this.write(record);
      return structuredClone(record);
    });
  }

  /** Points `tag` (normalized) at the image `ref` names, moving it from any other image. */
  tag(ref: string, tag: string): Promise<ImageRecord> {
    return this.serialized(async () => {
      const target = this.find(ref);
      if (!target) throw new NotFoundError(`image ${JSON.stringify(ref)} is not present; cannot tag it`);
      const parsed = parseReference(tag);
      const name = taggedName(parsed);
      if (name === undefined || parsed.digest !== undefined) throw new InvalidArgumentError(`${JSON.stringify(tag)} is not a tag reference (name:tag)`);
      const now = this.now().toISOString();
      await this.untagOthers(target.id, [name], now);
      const record = { ...target, repoTags: union(target.repoTags, [name]), updatedAt: now };
      await this.write(record);
      return structuredClone(record);
    });
  }

  /** Drops `names` (repoTags or repoDigests entries) from the image `id`; it stays, listed by id. */
  untag(id: Digest, names: readonly string[]): Promise<ImageRecord> {
    return this.serialized(async () => {
      const target = this.images.get(id);
      if (!target) throw new NotFoundError(`image ${id} is not present`);
      const record = {
        ...target,
        repoTags: target.repoTags.filter((tag) => !names.includes(tag)),
        repoDigests: target.repoDigests.filter((name) => !names.includes(name)),
        updatedAt: this.now().toISOString(),
      };
      await this.write(record);
      return structuredClone(record);
    });
  }

  setPinned(ref: string, pinned: boolean): Promise<ImageRecord> {
    return this.serialized(async () => {
      const target = this.find(ref);
      if (!target) throw new NotFoundError(`image ${JSON.stringify(ref)} is not present`);
      const record = { ...target, pinned, updatedAt: this.now().toISOString() };
      await this.write(record);
      return structuredClone(record);
    });
  }

  /**
   * Removes the image `ref` names with all its tags; undefined when there was none. Returns the
   * blobs of the removed image that no remaining image references.
   */
  remove(ref: string): Promise<{ removed: ImageRecord; unreferencedBlobs: Digest[] } | undefined> {
    return this.serialized(async () => {
      const target = this.find(ref);
      if (!target) return undefined;
      await rm(this.recordPath(target.id), { force: true });
      this.images.delete(target.id);
      const stillUsed = this.referencedBlobs();
      const unreferencedBlobs = blobsOf(target).filter((digest) => !stillUsed.has(digest));
      return { removed: target, unreferencedBlobs: [...new Set(unreferencedBlobs)] };
    });
  }

  /** Every blob some image needs (index, manifest, config, layers), for GC. */
  referencedBlobs(): Set<Digest> {
    return new Set([...this.images.values()].flatMap(blobsOf));
  }

  private async untagOthers(keep: Digest, tags: readonly string[], now: string): Promise<void> {
    for (const other of this.images.values()) {
      if (other.id === keep || !other.repoTags.some((tag) => tags.includes(tag))) continue;
      const updated = { ...other, repoTags: other.repoTags.filter((tag) => !tags.includes(tag)), updatedAt: now };
      await this.write(updated);
      this.logger.info({ image: other.id, tags: tags.filter((tag) => other.repoTags.includes(tag)) }, 'tag moved to another image');
    }
  }

  private async write(record: ImageRecord): Promise<void> {
    await writeJsonAtomic(this.recordPath(record.id), record);
    this.images.set(record.id, record);
  }

  private recordPath(id: Digest): string {
    return join(this.dir, `${digestHex(id)}.json`);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }
}

/** "docker.io/library/busybox" of a repoTag or repoDigest, for display and grouping. */
export function repositoryOf(name: string): string {
  return referenceName(parseReference(name));
}

function blobsOf(image: ImageRecord): Digest[] {
  return [image.indexDigest, image.manifestDigest, image.id, ...image.layers.map((layer) => layer.digest as Digest)].filter((digest): digest is Digest => digest !== undefined);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function checkRecord(value: unknown): ImageRecord {
  const record = value as Partial<ImageRecord> | null;
  if (!record || record.version !== imageRecordVersion) throw new Error(`unsupported record version ${JSON.stringify(record?.version)}`);
  parseDigest(String(record.id), 'id');
  parseDigest(String(record.manifestDigest), 'manifestDigest');
  if (!Array.isArray(record.repoTags) || !Array.isArray(record.repoDigests) || !Array.isArray(record.layers) || !Array.isArray(record.diffIds)) {
    throw new Error('record lacks repoTags, repoDigests, layers or diffIds');
  }
  if (!record.config || typeof record.config !== 'object') throw new Error('record lacks config');
  if (typeof record.updatedAt !== 'string' || typeof record.createdAt !== 'string') throw new Error('record lacks timestamps');
  return record as ImageRecord;
}
