// Streaming through berth's own server with the real crictl (SPDY/3.1): exec with and without a
// terminal, stdin, exit codes, port-forward into the pod's netns, single-use URLs, and no
// processes or descriptors left behind after many concurrent execs.
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { CriClient } from '../../../cri/client/cri-client.js';
import { streamRemoteCommand } from '../../../cri/client/remote-command-client.js';
import type { PodSandboxConfig } from '../../../api/cri/messages.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { goTool } from '../../harness/tools.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const work = mkdtempSync(join(tmpdir(), 'berth-streaming-'));
let berth: Berth;
let network: CniTestNetwork;
let client: CriClient;
let podId = '';
let shellId = '';
let webId = '';
const pod: PodSandboxConfig = { metadata: { name: 'streaming', namespace: 'default', uid: 'streaming-uid', attempt: 0 }, linux: {} };

beforeAll(async () => {
  network = cniTestNetwork('streaming', 235);
  berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
  client = new CriClient({ endpoint: berth.socket });
  await client.pullImage(image);
  podId = (await client.runPodSandbox(pod)).podSandboxId;
  const create = async (name: string, command: string[]): Promise<string> => {
    const { containerId } = await client.createContainer(podId, { metadata: { name }, image: { image }, command }, pod);
    await client.startContainer(containerId);
    return containerId;
  };
  shellId = await create('shell', ['sleep', '600']);
  webId = await create('web', ['sh', '-c', 'echo served-from-the-pod > /tmp/page && exec httpd -f -p 8000 -h /tmp']);
});

afterAll(async () => {
  await client?.stopPodSandbox(podId).catch(() => undefined);
  await client?.removePodSandbox(podId).catch(() => undefined);
  client?.close();
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  rmSync(work, { recursive: true, force: true });
});

describe('exec and port-forward over SPDY', () => {
  it('runs a command and returns its output', async () => {
    expect((await berth.crictl('exec', shellId, 'echo', 'hello from exec')).trim()).toBe('hello from exec');
  });

  it('passes the exit code back to the client', async () => {
    const result = await berth.crictlResult('exec', shellId, 'sh', '-c', 'echo to-stderr >&2; exit 7');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('to-stderr');
    expect(result.stderr).toContain('exit code 7');
  });

  it('feeds stdin to the command', async () => {
    const crictl = goTool('crictl');
    const { stdout } = await execa(crictl, ['--runtime-endpoint', `unix://${berth.socket}`, 'exec', '-i', shellId, 'sh', '-c', 'tr a-z A-Z'], {
      input: 'shout this\n',
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('SHOUT THIS');
  });

  it("runs an interactive shell with -it on a real terminal of the client's size, output and errors in one stream", async () => {
    // crictl wants a terminal of its own for -t: `script` gives it one, sized 33x111 first; crictl
    // sends that size, and the shell in the container runs on a pty of its own (conmon holds it).
    const crictl = `stty rows 33 cols 111; ${goTool('crictl')} --runtime-endpoint unix://${berth.socket} exec -it ${shellId} sh`;
    const sizeLoop = 'for i in $(seq 50); do s=$(stty size); case "$s" in [1-9]*) break;; esac; sleep 0.1; done';
    const input = `${sizeLoop}; echo "size:$s tty:$(tty)"\necho interactive-$((6 * 7))\necho on-stderr >&2\nexit 3\n`;
    // Typed once the session is up, and stdin kept open until it ends: at the end of its input
    // script types ^D, which would end the shell before it read the lines typed ahead of it.
    const result = await execa('sh', ['-c', `{ sleep 1; printf '%s' "$INPUT"; sleep 4; } | script --quiet --return --command "$CRICTL" /dev/null`], {
      env: { INPUT: input, CRICTL: crictl },
      timeout: 60_000,
      reject: false,
    });
    expect(result.stdout).toMatch(/size:33 111 tty:\/dev\/pts\/\d+/);
    expect(result.stdout).toContain('interactive-42');
    expect(result.stdout).toContain('on-stderr');
    expect(result.stdout).toContain('exit code 3');
    expect(result.exitCode).not.toBe(0);
  });

  it('attaches to a container over WebSocket: its stdin, stdout and stderr through conmon, until it exits', async () => {
    const { containerId } = await client.createContainer(
      podId,
      {
        metadata: { name: 'reader' },
        image: { image },
        command: ['sh', '-c', 'echo ready; while read line; do echo got:$line; echo err:$line >&2; done; echo stdin-closed'],
        stdin: true,
        stdinOnce: true,
      },
      pod,
    );
    await client.startContainer(containerId);
    const crictl = goTool('crictl');
    const attached = await execa(crictl, ['--runtime-endpoint', `unix://${berth.socket}`, 'attach', '--transport', 'websocket', '-i', containerId], {
      input: 'one\ntwo\n',
      timeout: 60_000,
      reject: false,
    });
    // Closing stdin ends the loop, so the container exits and conmon ends the attach.
    expect(attached.stdout).toContain('got:one\ngot:two\nstdin-closed');
    expect(attached.stderr).toContain('err:two');
    // The attach ends when the container's stdio closes, which can be a moment before conmon has
    // reaped it and written its exit file: the CRI orders the two in no way, so wait for the exit.
    const exited = await eventually(async () => {
      const state = (await client.containerStatus(containerId)).status?.state;
      return state === 'CONTAINER_EXITED' ? state : undefined;
    });
    expect(exited).toBe('CONTAINER_EXITED');
    // Output only, no stdin: attaching to a container that is not running is refused up front.
    await expect(client.attach({ containerId, stdout: true })).rejects.toThrow(/attach needs a running container/);
  });

  it('runs exec over WebSocket (crictl --transport websocket): output, errors, exit code and stdin', async () => {
    const crictl = (args: string[], input?: string) =>
      execa(goTool('crictl'), ['--runtime-endpoint', `unix://${berth.socket}`, 'exec', '--transport', 'websocket', ...args], {
        timeout: 60_000,
        reject: false,
        ...(input !== undefined ? { input } : {}),
      });
    const ran = await crictl([shellId, 'sh', '-c', 'echo over-websocket; echo to-stderr >&2; exit 5']);
    expect(ran.stdout.trim()).toBe('over-websocket');
    expect(ran.stderr).toContain('to-stderr');
    expect(ran.stderr).toContain('exit code 5');
    expect(ran.exitCode).not.toBe(0);
    const piped = await crictl(['-i', shellId, 'sh', '-c', 'tr a-z A-Z'], 'closed by v5\n');
    expect(piped.stdout.trim()).toBe('CLOSED BY V5');
    expect(piped.exitCode).toBe(0);
  });

  it('attaches to a container with a terminal: the client terminal size reaches it through conmon', async () => {
    const { containerId } = await client.createContainer(
      podId,
      {
        metadata: { name: 'term' },
        image: { image },
        command: ['sh', '-c', 'read go; for i in $(seq 100); do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; done; echo "size:$s"; read again'],
        stdin: true,
        tty: true,
      },
      pod,
    );
    await client.startContainer(containerId);
    // crictl wants a terminal of its own for -t: `script` gives it one, sized 33x111 first; crictl
    // sends that size on the resize channel, and conmon sizes the container's pty to it (the
    // container polls: the size races the input on the way in).
    const crictl = `stty rows 33 cols 111; ${goTool('crictl')} --runtime-endpoint unix://${berth.socket} attach -t -i ${containerId}`;
    const { stdout } = await execa('script', ['--quiet', '--return', '--command', crictl, '/dev/null'], {
      input: 'go\nagain\n',
      timeout: 60_000,
      reject: false,
    });
    expect(stdout, JSON.stringify(stdout)).toContain('size:33 111');
  });

  for (const transport of ['spdy', 'websocket']) {
    it(`forwards a local port to a port inside the pod network namespace (${transport})`, async () => {
      const port = await freePort();
      const forward = execa(goTool('crictl'), ['--runtime-endpoint', `unix://${berth.socket}`, 'port-forward', '--transport', transport, podId, `${port}:8000`], { reject: false });
      try {
        let body = '';
        for (let i = 0; i < 50 && body === ''; i++) {
          body = await fetch(`http://127.0.0.1:${port}/page`).then(
            (r) => r.text(),
            () => '',
          );
          if (body === '') await new Promise((r) => setTimeout(r, 200));
        }
        expect(body.trim()).toBe('served-from-the-pod');
        // A second connection through the same forward.
        expect((await (await fetch(`http://127.0.0.1:${port}/page`)).text()).trim()).toBe('served-from-the-pod');
      } finally {
        forward.kill('SIGINT');
        await forward;
      }
      expect(webId).not.toBe('');
    });
  }

  it('refuses a streaming URL used twice', async () => {
    const { url } = await client.exec({ containerId: shellId, cmd: ['true'], stdout: true });
    const upgrade = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' } });
        req.on('upgrade', (response, socket) => {
          socket.destroy();
          resolve(response.statusCode ?? 0);
        });
        req.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade()).toBe(101);
    expect(await upgrade()).toBe(404);
  });

  it("berth's own WebSocket client: output by stream, the exit code, and the server's reason for a used URL", async () => {
    const { url } = await client.exec({ containerId: shellId, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 6'], stdout: true, stderr: true });
    const output = { stdout: new PassThrough(), stderr: new PassThrough() };
    expect(await streamRemoteCommand(url, output)).toBe(6);
    expect([String(output.stdout.read()), String(output.stderr.read())]).toEqual(['out\n', 'err\n']);
    await expect(streamRemoteCommand(url, { stdout: new PassThrough(), stderr: new PassThrough() })).rejects.toThrow(/the streaming server refused \(404\): .+/);
    const missing = await client.exec({ containerId: shellId, cmd: ['/no/such/binary'], stdout: true, stderr: true });
    const missingOutput = { stdout: new PassThrough(), stderr: new PassThrough() };
    // As runc reports it: exit status 255, and its reason on stderr.
    expect(await streamRemoteCommand(missing.url, missingOutput)).toBe(255);
    expect(String(missingOutput.stderr.read())).toContain('/no/such/binary');
  });

  it('leaves no processes or descriptors behind after 40 concurrent execs', async () => {
    const fds = (): number => readdirSync(`/proc/${berth.pid}/fd`).length;
    const before = fds();
    const outputs = await Promise.all(Array.from({ length: 40 }, (_, i) => berth.crictl('exec', shellId, 'echo', `n${i}`)));
    expect(outputs.map((o) => o.trim())).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`));
    await new Promise((r) => setTimeout(r, 1000));
    const { stdout } = await execa('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(`exec --process=`) && line.includes(shellId))).toEqual([]);
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });

  it('leaves no conmon, session files or descriptors behind after 20 concurrent terminal execs, each resized', async () => {
    const fds = (): number => readdirSync(`/proc/${berth.pid}/fd`).length;
    const before = fds();
    // The size is printed by the command itself (no typed input to race the session); stdin is
    // held open meanwhile, since at its end script would type ^D.
    const command = `sh -c 'for i in $(seq 50); do s=$(stty size); case "$s" in [1-9]*) break;; esac; sleep 0.1; done; echo "size:$s"'`;
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        execa('sh', ['-c', 'sleep 3 | script --quiet --return --command "$CRICTL" /dev/null'], {
          env: { CRICTL: `stty rows ${10 + i} cols 80; ${goTool('crictl')} --runtime-endpoint unix://${berth.socket} exec -it ${shellId} ${command}` },
          timeout: 120_000,
          reject: false,
        }),
      ),
    );
    for (const [i, run] of runs.entries()) expect(run.stdout).toContain(`size:${10 + i} 80`);
    await new Promise((r) => setTimeout(r, 1000));
    const { stdout } = await execa('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes('--exec-attach'))).toEqual([]);
    expect(readdirSync(join(berth.stateDir, 'exec')).filter((name) => name.startsWith('tty-'))).toEqual([]);
    expect(readdirSync(join(berth.stateDir, 'sockets')).filter((name) => name.startsWith('exec-'))).toEqual([]);
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });
});
