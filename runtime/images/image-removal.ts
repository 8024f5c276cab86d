// What `docker rmi` does to an image, decided before anything is written (pure):
//
//   rmi NAME:TAG   another tag remains      → untag NAME:TAG only (even if a container uses it)
//                  it was the last tag      → delete the image (and untag its digest names)
//   rmi ID         one tag or none          → delete the image
//                  several tags             → refused unless -f (then: untag all, delete)
//   a container uses the image to delete    → refused unless -f; with -f a stopped container's
//                                             image is deleted (its layers stay while the
//                                             container's snapshot needs them), a running
//                                             container's image is only untagged (by name) or
//                                             refused (by id), as docker does.
import { FailedPreconditionError } from '../../common/errors.js';
import { digestHex } from './digest.js';
import type { ImageRecord } from './image-store.js';
import { digestedName, parseReference, taggedName } from './reference.js';

export interface ImageUser {
  containerId: string;
  running: boolean;
}

export interface RemovalPlan {
  /** Names (repoTags and repoDigests entries) to drop from the record. */
  untag: string[];
  /** Whether the image itself goes. */
  deleteImage: boolean;
}

/** The record's name `ref` spells (a tag or digest reference), if any. */
export function nameMatching(record: Pick<ImageRecord, 'repoTags' | 'repoDigests'>, ref: string): string | undefined {
  let reference: ReturnType<typeof parseReference>;
  try {
    reference = parseReference(ref);
  } catch {
    return undefined;
  }
  const name = reference.digest !== undefined ? digestedName(reference, reference.digest) : taggedName(reference);
  return name !== undefined && (record.repoTags.includes(name) || record.repoDigests.includes(name)) ? name : undefined;
}

export function planRemoval(record: ImageRecord, ref: string, force: boolean, users: readonly ImageUser[]): RemovalPlan {
  const short = digestHex(record.id).slice(0, 12);
  const name = nameMatching(record, ref);
  if (name !== undefined && record.repoTags.some((tag) => tag !== name)) return { untag: [name], deleteImage: false };
  if (name === undefined && record.repoTags.length > 1 && !force) {
    throw new FailedPreconditionError(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
  }
  const all = [...record.repoTags, ...record.repoDigests];
  const running = users.find((user) => user.running);
  const user = running ?? users[0];
  if (user && !force) {
    throw new FailedPreconditionError(
      name !== undefined
        ? `conflict: unable to remove repository reference ${JSON.stringify(ref)} (must force) - container ${user.containerId.slice(0, 12)} is using its referenced image ${short}`
        : `conflict: unable to delete ${short} (must be forced) - image is being used by ${user.running ? 'running' : 'stopped'} container ${user.containerId.slice(0, 12)}`,
    );
  }
  if (running) {
    if (name === undefined) {
      throw new FailedPreconditionError(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.containerId.slice(0, 12)}`);
    }
    return { untag: all, deleteImage: false };
  }
  return { untag: all, deleteImage: true };
}
