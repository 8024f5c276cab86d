// One probe attempt, the way the upstream kubelet makes it: exec through the CRI (exit code 0
// passes), HTTP GET to the pod IP (a 2xx or 3xx status passes), a TCP connect (connecting
// passes), a gRPC health check (SERVING passes; grpc-health.ts). Each attempt is bounded by the
// probe's timeoutSeconds.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { connect } from 'node:net';
import { grpcHealthCheck } from './grpc-health.js';

export type ProbeOutcome = { ok: true } | { ok: false; message: string };

export interface ProbeTarget {
  containerId: string;
  container: V1Container;
  /** Where httpGet and tcpSocket go when the probe names no host: the pod IP. */
  podIp: string;
}

export interface ProbeDeps {
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; stdout: Buffer | Uint8Array; stderr: Buffer | Uint8Array }>;
}

/** Pure: a probe's port (a number, a numeric string or the name of a container port). */
export function resolvePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (error) => done({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

export async function checkProbe(probe: V1Probe, target: ProbeTarget, deps: ProbeDeps): Promise<ProbeOutcome> {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  try {
    if (probe.exec) {
      const result = await deps.execSync(target.containerId, probe.exec.command ?? [], timeoutSeconds);
      if (result.exitCode === 0) return { ok: true };
      const output = Buffer.concat([Buffer.from(result.stdout), Buffer.from(result.stderr)])
        .toString('utf8')
        .trim()
        .slice(0, 1024);
      return { ok: false, message: `command exited with ${result.exitCode}${output ? `: ${output}` : ''}` };
    }
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port as number | string, target.container);
      if (port === undefined) return { ok: false, message: `httpGet port ${String(probe.httpGet.port)} names no container port` };
      const host = probe.httpGet.host || target.podIp;
      const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
      const path = probe.httpGet.path?.startsWith('/') ? probe.httpGet.path : `/${probe.httpGet.path ?? ''}`;
      const headers: Record<string, string> = { 'user-agent': 'kube-probe/berth' };
      for (const header of probe.httpGet.httpHeaders ?? []) headers[header.name.toLowerCase()] = header.value;
      const response = await fetch(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`, {
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${response.status}` };
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
      if (port === undefined) return { ok: false, message: `tcpSocket port ${String(probe.tcpSocket.port)} names no container port` };
      return tcpCheck(probe.tcpSocket.host || target.podIp, port, timeoutSeconds * 1000);
    }
    if (probe.grpc) return await grpcHealthCheck(target.podIp, probe.grpc.port, probe.grpc.service ?? '', timeoutSeconds * 1000);
    return { ok: false, message: 'the probe names no handler (exec, httpGet, tcpSocket, grpc)' };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
