// Deletes a user network's Linux bridge once the network is removed (the bridge CNI plugin makes
// it on the first pod and never removes it). `ip` is iproute2's, as the CNI plugins' hosts have.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function deleteBridge(bridge: string): Promise<void> {
  try {
    await run('ip', ['link', 'del', bridge]);
  } catch (error) {
    // Never made (no pod joined) or already gone.
    if (/Cannot find device|does not exist/i.test(String((error as { stderr?: string }).stderr ?? ''))) return;
    throw error;
  }
}
