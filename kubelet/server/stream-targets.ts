// Turns a streaming request on the kubelet API into the runtime's streaming URL: the running
// container (or ready sandbox) is found by the labels the kubelet put on it, and the runtime is
// asked through the CRI (Exec, Attach, PortForward) for a single-use URL on its own streaming
// server, which the kubelet then proxies (upgrade-proxy.ts), as the upstream kubelet does.
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel, type CriPort } from '../cri-port.js';
import type { PodRef, StreamRequest } from './stream-requests.js';

export type StreamingCri = Pick<CriPort, 'listContainers' | 'listPodSandbox' | 'exec' | 'attach' | 'portForward'>;

function podLabels(ref: PodRef): Record<string, string> {
  return { [podNamespaceLabel]: ref.namespace, [podNameLabel]: ref.pod, ...(ref.uid ? { [podUidLabel]: ref.uid } : {}) };
}

/** The newest running instance of the pod's container (a 404 or 400 naming it, else). */
export async function runningContainer(cri: Pick<CriPort, 'listContainers'>, ref: PodRef, container: string): Promise<string> {
  const listed = (await cri.listContainers({ labelSelector: { ...podLabels(ref), [containerNameLabel]: container } })).containers;
  if (listed.length === 0) throw new NotFoundError(`container "${container}" in pod "${ref.namespace}/${ref.pod}" not found on this node`);
  const running = listed.filter((c) => c.state === 'CONTAINER_RUNNING').sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0));
  const chosen = running[0];
  if (!chosen) throw new FailedPreconditionError(`container "${container}" in pod "${ref.namespace}/${ref.pod}" is not running`);
  return chosen.id;
}

async function readySandbox(cri: StreamingCri, ref: PodRef): Promise<string> {
  const listed = (await cri.listPodSandbox({ labelSelector: podLabels(ref) })).items;
  if (listed.length === 0) throw new NotFoundError(`pod "${ref.namespace}/${ref.pod}" not found on this node`);
  const ready = listed.filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => Number(BigInt(b.createdAt) - BigInt(a.createdAt)));
  const chosen = ready[0];
  if (!chosen) throw new FailedPreconditionError(`pod "${ref.namespace}/${ref.pod}" has no running sandbox`);
  return chosen.id;
}

/** The runtime's single-use streaming URL for the request. */
export async function streamingUrl(cri: StreamingCri, request: StreamRequest): Promise<URL> {
  switch (request.kind) {
    case 'exec': {
      const containerId = await runningContainer(cri, request, request.container);
      const { stdin, stdout, stderr, tty } = request;
      return new URL((await cri.exec({ containerId, cmd: request.command, stdin, stdout, stderr, tty })).url);
    }
    case 'attach': {
      const containerId = await runningContainer(cri, request, request.container);
      const { stdin, stdout, stderr, tty } = request;
      return new URL((await cri.attach({ containerId, stdin, stdout, stderr, tty })).url);
    }
    case 'portForward':
      return new URL((await cri.portForward(await readySandbox(cri, request), request.ports)).url);
  }
}
