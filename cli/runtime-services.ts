// What `berth runtime` serves, and `berth node` embeds: the runtime, its CRI socket, the
// streaming server for exec/port-forward URLs, and the metrics endpoint.
import type { Logger } from '../common/logger.js';
import { packageVersion } from '../common/package-version.js';
import { criHandlers } from '../cri/server/handlers.js';
import { RuntimeMetrics, parseListenAddress, serveMetrics } from '../cri/server/metrics.js';
import { serveCri } from '../cri/server/server.js';
import { StreamServer, type StreamServerOptions } from '../cri/streaming/stream-server.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { Runtime } from '../runtime/runtime.js';

export interface RuntimeServiceOptions {
  stream: StreamServerOptions;
  /** HOST:PORT for /metrics, or "" for none. */
  metricsAddress: string;
}

export async function startRuntimeServices(config: RuntimeConfig, options: RuntimeServiceOptions, logger: Logger): Promise<{ close: () => Promise<void> }> {
  // A bad address is refused before anything starts.
  const metricsAt = parseListenAddress(options.metricsAddress);
  const runtime = await Runtime.open(config, logger);
  const closers: (() => Promise<void>)[] = [() => runtime.close()];
  const close = async (): Promise<void> => {
    for (const step of closers.reverse()) await step();
  };
  try {
    const metrics = new RuntimeMetrics(runtime);
    if (metricsAt) closers.push((await serveMetrics(metricsAt, metrics.registry, logger)).close);
    const streaming = await StreamServer.start(options.stream, runtime, logger);
    closers.push(() => streaming.close());
    const server = await serveCri({
      socketPath: config.socketPath,
      handlers: criHandlers(runtime, packageVersion(), streaming, logger),
      logger,
      observe: metrics.observe,
    });
    closers.push(() => server.close());
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
