// The evented half of the PLEG: a GetContainerEvents subscription that pokes the relist when the
// runtime reports a container change, so an exit reaches the API in milliseconds rather than at
// the next 1 s relist. Runtimes without the RPC (containerd 1.6) answer Unimplemented once and
// the kubelet relists only; a broken stream is reopened after a pause.
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '../common/logger.js';
import type { CriPort } from './cri-port.js';

export interface ContainerEventsDeps {
  cri: Pick<CriPort, 'containerEvents'>;
  onEvent: () => void;
  logger: Logger;
  /** Pause before reopening a stream that broke. */
  retryMs: number;
}

/** Subscribes until the returned stop function is called. */
export function followContainerEvents(deps: ContainerEventsDeps): () => void {
  let stopped = false;
  let cancel: () => void = () => undefined;
  let retry: NodeJS.Timeout | undefined;
  const open = (): void => {
    if (stopped) return;
    const subscription = deps.cri.containerEvents(() => deps.onEvent());
    cancel = subscription.cancel;
    void subscription.ended.then((error) => {
      if (stopped || !error) return;
      if (error.grpcCode === GrpcStatus.UNIMPLEMENTED) {
        deps.logger.info('the runtime has no GetContainerEvents; container changes are seen by the 1 s relist');
        return;
      }
      deps.logger.debug({ err: error.message }, 'container event stream ended; reopening');
      // Whatever happened while the stream was down is found by the relist this pokes.
      deps.onEvent();
      retry = setTimeout(open, deps.retryMs);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    cancel();
  };
}
