// `berth runtime`: the CRI server alone, until SIGINT/SIGTERM.
import { createLogger, type LogLevel } from '../common/logger.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { startRuntimeServices, type RuntimeServiceOptions } from './runtime-services.js';

export async function runRuntime(config: RuntimeConfig, logLevel: LogLevel, options: RuntimeServiceOptions): Promise<void> {
  const logger = createLogger(logLevel);
  const services = await startRuntimeServices(config, options, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await services.close();
}
