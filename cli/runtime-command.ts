// `berth runtime`: the CRI server alone, until SIGINT/SIGTERM.
import { createLogger, type LogLevel } from '../common/logger.js';
import { packageVersion } from '../common/package-version.js';
import { criHandlers } from '../cri/server/handlers.js';
import { serveCri } from '../cri/server/server.js';
import { StreamServer, type StreamServerOptions } from '../cri/streaming/stream-server.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { Runtime } from '../runtime/runtime.js';

export async function runRuntime(config: RuntimeConfig, logLevel: LogLevel, stream: StreamServerOptions): Promise<void> {
  const logger = createLogger(logLevel);
  const runtime = await Runtime.open(config, logger);
  const streaming = await StreamServer.start(stream, runtime, logger);
  const server = await serveCri({ socketPath: config.socketPath, handlers: criHandlers(runtime, packageVersion(), streaming), logger });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await streaming.close();
  await runtime.close();
}
