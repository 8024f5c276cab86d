// Removing what `berth run` made: its pod sandbox (which takes the container with it) and the
// pod's log directory, which the runtime leaves to whoever chose it (the kubelet, or this CLI).
import { rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { CriSession } from './cri-session.js';

export async function removeCliPod(session: CriSession, podSandboxId: string, logDirectory: string): Promise<void> {
  await session.client.stopPodSandbox(podSandboxId);
  await session.client.removePodSandbox(podSandboxId);
  // Only a directory of the CLI's own naming (<name>_<uid>): never a path someone else chose.
  if (posix.isAbsolute(logDirectory) && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*_[0-9a-f-]{36}$/.test(posix.basename(logDirectory))) {
    await rm(logDirectory, { recursive: true, force: true });
  }
}
