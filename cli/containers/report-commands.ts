// `berth top`, `port` and `stats`: what docker reports about a running container, from what the
// CRI gives. docker top lists the container's processes with the host's ps; a CRI client cannot
// see the host, so berth runs ps inside the container (ExecSync) and, where the image has no ps,
// reads /proc there with the image's shell.
import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailedPreconditionError, NotFoundError } from '../../common/errors.js';
import type { ContainerStats__Output } from '../../api/cri/messages.js';
import { cpuPercent, formatPorts, formatPs, formatStats, publishedPort, type CpuSample, type StatsRow } from './container-report.js';
import type { CriSession, ListedContainer } from './cri-session.js';
import type { LogWriters } from './log-output.js';
import { recordedInfo } from './recorded-info.js';

const isRunning = (listed: ListedContainer) => listed.container.state === 'CONTAINER_RUNNING';

/** ps's columns where there is no ps: pid, parent, state and command line of each /proc entry. */
const procPs =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script: ${...} is the shell's expansion
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin; echo "PID PPID STAT CMD"; for d in /proc/[0-9]*; do p=${d#/proc/}; s=$(cat $d/stat 2>/dev/null) || continue; ' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: as above
  's=${s##*) }; set -- $s; c=$(tr "\\0" " " < $d/cmdline 2>/dev/null); echo "$p $2 $1 ${c:-[$(cat $d/comm)]}"; done';

export async function topContainer(session: CriSession, reference: string, psOptions: readonly string[], out: LogWriters['stdout']): Promise<void> {
  const listed = await session.find(reference);
  if (!isRunning(listed)) throw new FailedPreconditionError(`container ${reference} is not running`);
  const options = psOptions.length > 0 ? [...psOptions] : ['-ef'];
  let result = await session.client.execSync(listed.id, ['ps', ...options], 30).catch(() => undefined);
  if (!result || result.exitCode === 126 || result.exitCode === 127 || result.exitCode === 128) {
    result = await session.client.execSync(listed.id, ['/bin/sh', '-c', procPs], 30);
  }
  if (result.exitCode !== 0) {
    throw new FailedPreconditionError(`ps in ${reference} failed (exit ${result.exitCode}): ${result.stderr.toString().trim()}`);
  }
  out.write(formatPs(result.stdout.toString()));
}

export async function showPorts(session: CriSession, reference: string, privatePort: string | undefined, out: LogWriters['stdout']): Promise<void> {
  const listed = await session.find(reference);
  const { info } = await session.client.podSandboxStatus(listed.container.podSandboxId, true);
  const recorded = recordedInfo<{ portMappings?: Record<string, unknown>[] }>(info);
  const ports = (recorded.config?.portMappings ?? []).map(publishedPort);
  const text = formatPorts(ports, privatePort);
  if (text === undefined) {
    const asked = privatePort?.includes('/') ? privatePort : `${privatePort}/tcp`;
    throw new NotFoundError(`No public port '${asked}' published for ${reference}`);
  }
  out.write(text);
}

export interface StatsFlags {
  all: boolean;
  noStream: boolean;
  noTrunc: boolean;
}

const sampleOf = (stats: ContainerStats__Output | undefined): CpuSample | undefined => {
  const usage = stats?.cpu?.usageCoreNanoSeconds?.value;
  const timestamp = stats?.cpu?.timestamp;
  return usage === undefined || !timestamp ? undefined : { usageCoreNanos: BigInt(usage), timestampNanos: BigInt(timestamp) };
};

async function sample(session: CriSession): Promise<Map<string, ContainerStats__Output>> {
  const { stats } = await session.client.listContainerStats();
  return new Map(stats.map((entry) => [entry.attributes?.id ?? '', entry]));
}

/** Docker's table; without --no-stream redrawn every second until Ctrl-C. */
export async function showStats(session: CriSession, references: readonly string[], flags: StatsFlags, out: LogWriters['stdout']): Promise<void> {
  const chosen = references.length > 0 ? await Promise.all(references.map((reference) => session.find(reference))) : undefined;
  const limits = new Map<string, number>();
  const limitOf = async (id: string): Promise<number> => {
    if (!limits.has(id)) {
      const { info } = await session.client.containerStatus(id, true);
      const recorded = recordedInfo<{ linux?: { resources?: { memoryLimitInBytes?: string | number } } }>(info);
      const limit = Number(recorded.config?.linux?.resources?.memoryLimitInBytes ?? 0);
      limits.set(id, limit > 0 ? limit : totalmem());
    }
    return limits.get(id) ?? totalmem();
  };
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  if (!flags.noStream) process.once('SIGINT', onInterrupt);
  try {
    let before = await sample(session);
    for (;;) {
      await sleep(1000);
      const after = await sample(session);
      const shown = chosen ?? (await session.containers()).filter((listed) => flags.all || isRunning(listed));
      const rows: StatsRow[] = await Promise.all(
        shown.map(async (listed) => {
          const stats = after.get(listed.id);
          const memory = stats?.memory?.workingSetBytes?.value;
          const percent = cpuPercent(sampleOf(before.get(listed.id)), sampleOf(stats));
          return {
            id: listed.id,
            name: listed.name,
            memoryLimitBytes: await limitOf(listed.id),
            ...(percent !== undefined ? { cpuPercent: percent } : {}),
            ...(memory !== undefined ? { memoryBytes: Number(memory) } : {}),
          };
        }),
      );
      if (!flags.noStream) out.write('\x1b[2J\x1b[H');
      out.write(formatStats(rows, { noTrunc: flags.noTrunc }));
      if (flags.noStream || interrupted) return;
      before = after;
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
