// depends_on conditions, checked before a service starts: service_healthy runs the dependency's
// healthcheck in its container (ExecSync, as docker's daemon runs it) every interval until it
// passes, and fails once it has failed `retries` times after the start period;
// service_completed_successfully waits for the dependency to exit with 0. berth keeps no health
// state of its own, so the check runs here, while `up` waits.
import { setTimeout as sleep } from 'node:timers/promises';
import { FailedPreconditionError } from '../../common/errors.js';
import type { CriSession } from '../containers/cri-session.js';
import type { ComposeService, Dependency } from './compose-model.js';

export async function waitHealthy(session: CriSession, containerId: string, service: ComposeService, containerName: string): Promise<void> {
  const check = service.healthcheck;
  if (!check) throw new FailedPreconditionError(`dependency ${service.name} has no healthcheck: depends_on condition service_healthy needs one (healthcheck: test: ...)`);
  const started = Date.now();
  let failures = 0;
  for (;;) {
    const { status } = await session.client.containerStatus(containerId);
    if (status?.state !== 'CONTAINER_RUNNING') throw new FailedPreconditionError(`dependency failed to start: container ${containerName} exited (${status?.exitCode ?? '?'}) before it was healthy`);
    const result = await session.client.execSync(containerId, check.test, Math.max(1, Math.ceil(check.timeoutMs / 1000))).catch(() => ({ exitCode: -1 }));
    if (result.exitCode === 0) return;
    // Failures in the start period do not count, as in docker.
    if (Date.now() - started >= check.startPeriodMs) failures += 1;
    if (failures >= check.retries) throw new FailedPreconditionError(`dependency failed to start: container ${containerName} is unhealthy (${check.test.join(' ')} failed ${failures} times)`);
    await sleep(check.intervalMs);
  }
}

export async function waitCompleted(session: CriSession, containerId: string, containerName: string): Promise<void> {
  for (;;) {
    const { status } = await session.client.containerStatus(containerId);
    if (status?.state === 'CONTAINER_EXITED') {
      if (status.exitCode === 0) return;
      throw new FailedPreconditionError(`service ${containerName} didn't complete successfully: exit ${status.exitCode}`);
    }
    await sleep(200);
  }
}

/** Waits for what `dependency` asks of the container `containerId` of `service`. */
export async function waitForDependency(session: CriSession, dependency: Dependency, service: ComposeService, containerId: string, containerName: string): Promise<void> {
  if (dependency.condition === 'service_healthy') await waitHealthy(session, containerId, service, containerName);
  else if (dependency.condition === 'service_completed_successfully') await waitCompleted(session, containerId, containerName);
}
