// Image records → CRI Image messages.
import type { Image } from '../../api/cri/messages.js';
import type { ImageRecord } from '../../runtime/images/image-store.js';

/** The image's configured user, split the way CRI reports it: a numeric uid, or a name. */
export function imageUser(user: string | undefined): { uid?: string; username: string } {
  const name = (user ?? '').split(':')[0] ?? '';
  if (name === '') return { username: '' };
  return /^\d+$/.test(name) ? { uid: name, username: '' } : { username: name };
}

export function toCriImage(record: ImageRecord): Image {
  const user = imageUser(record.config.config?.User);
  return {
    id: record.id,
    repoTags: record.repoTags,
    repoDigests: record.repoDigests,
    size: String(record.size),
    ...(user.uid !== undefined ? { uid: { value: user.uid } } : {}),
    username: user.username,
    spec: { image: record.id, annotations: {} },
    pinned: record.pinned,
  };
}
