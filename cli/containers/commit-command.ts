// `berth commit`: docker commit over berth.v1.Images/Commit. The container is found as every
// other command finds it (CRI list: name, id, id prefix) and sent by its full id; the new image's
// id is printed as docker prints it (sha256:...).
import type { CriSession } from './cri-session.js';
import { withImages } from '../images/image-commands.js';

export interface CommitFlags {
  author?: string;
  change: string[];
  message?: string;
}

export async function commitContainer(session: CriSession, container: string, reference: string | undefined, flags: CommitFlags, out: NodeJS.WritableStream): Promise<void> {
  const { id } = await session.find(container);
  const image = await withImages(session.endpoint, (client) =>
    client.commit({ container: id, reference: reference ?? '', changes: flags.change, message: flags.message ?? '', author: flags.author ?? '' }),
  );
  out.write(`${image.id}\n`);
}
