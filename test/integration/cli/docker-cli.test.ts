// The docker-style commands (`berth run/ps/logs/exec/stop/rm/pull/images`) as a user types them:
// the real `berth` binary against a real `berth runtime` with a CNI network, the test registry's
// busybox, and crictl to check what they made. GPUs come from a synthetic NVIDIA host, as in
// test/integration/gpu. The last part runs the same commands against containerd: the CLI is a
// client of any CRI runtime.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { packageRoot } from '../../../common/package-root.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { startContainerd, type Containerd } from '../../harness/containerd.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { createSyntheticGpuRoot, gpuRootArgs, type SyntheticGpuRoot } from '../../harness/synthetic-gpu.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
let berth: Berth;
let network: CniTestNetwork;
let host: SyntheticGpuRoot;
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  host = await createSyntheticGpuRoot({ gpus: 2 });
  network = cniTestNetwork('cli', 238);
  berth = await startBerth({
    args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir, ...gpuRootArgs(host), '--cdi-spec-dir', join(work, 'cdi')],
  });
});

afterAll(async () => {
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  await host?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

const berthBin = () => join(packageRoot(), 'bin/berth.js');

/** The CLI against the runtime whose CRI socket `socket()` names. */
function cliOn(socket: () => string) {
  const options = () => ({ env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${socket()}` }, reject: false, timeout: 120_000 }) as const;
  return {
    /** `berth ARGS...`; never throws, the exit code is in the result. */
    berthCli: (...args: string[]) => execa(process.execPath, [berthBin(), ...args], { ...options(), stdin: 'ignore' }),
    /** `berth ARGS...` with `input` piped to its stdin. */
    berthCliWithInput: (input: string, ...args: string[]) => execa(process.execPath, [berthBin(), ...args], { ...options(), input }),
    /**
     * `berth ARGS...` on a real terminal: util-linux's script gives it a pseudo-terminal of 45 rows
     * by 123 columns and types `keys` into it: at once, or each once the terminal has shown its
     * `after` text. The output is what the terminal showed. The keys' stdin stays open until berth
     * ends: at the end of its input script types ^D, which would close the session's stdin before
     * the shell in the container read the lines typed ahead.
     */
    berthOnTerminal: async (keys: string | { after: string; type: string }[], ...args: string[]) => {
      const quoted = [process.execPath, berthBin(), ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
      const child = execa('script', ['-q', '-e', '-c', `stty rows 45 cols 123; exec ${quoted}`, '/dev/null'], { ...options(), stdin: 'pipe' });
      const steps = typeof keys === 'string' ? [{ after: '', type: keys }] : [...keys];
      let shown = '';
      const typeDue = () => {
        while (steps[0] && shown.includes(steps[0].after)) child.stdin.write(steps.shift()?.type ?? '');
      };
      child.stdout.on('data', (chunk: Buffer) => {
        shown += chunk.toString();
        typeDue();
      });
      typeDue();
      const result = await child;
      child.stdin.destroy();
      return result;
    },
  };
}

const { berthCli, berthCliWithInput, berthOnTerminal } = cliOn(() => berth.socket);

/** Shell words that print the terminal's size once the client's first resize has reached it. */
const terminalSize = 'for i in $(seq 50); do s=$(stty size); case "$s" in [1-9]*) break;; esac; sleep 0.1; done; echo "size $s"';

const logRoot = () => join(work, 'logs');
const run = (...args: string[]) => berthCli('run', '--log-root', logRoot(), ...args);

describe('berth run', () => {
  it('pulls a missing image, prints what the command writes on each stream and exits with its code', async () => {
    const result = await run('--rm', '--name', 'first', image, 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(result.stdout).toBe('out');
    expect(result.stderr).toContain(`Unable to find image '${image}' locally`);
    expect(result.stderr).toMatch(/Pulled .* in \d+\.\d s/);
    expect(result.stderr).toContain('err');
    expect(result.exitCode).toBe(3);
  });

  it('with --rm leaves no container, pod or log directory behind', async () => {
    expect(await berth.crictl('ps', '-a', '--label', 'berth.dev/cli-name=first', '-q')).toBe('');
    expect(await berth.crictl('pods', '--name', 'first', '-q')).toBe('');
    expect(existsSync(logRoot()) ? (await execa('ls', [logRoot()])).stdout : '').not.toContain('first_');
  });

  it('passes -e, -w, -u, -v and --entrypoint as docker does', async () => {
    const result = await run(
      '--rm',
      '-e',
      'GREETING=hello',
      '-w',
      '/tmp',
      '-u',
      '1234:2345',
      '-v',
      `${work}:/data:ro`,
      '--entrypoint',
      'sh',
      image,
      '-c',
      'echo "$GREETING $(pwd) $(id -u):$(id -g)"; touch /data/x 2>/dev/null || echo read-only',
    );
    expect(result.stdout, result.stderr).toBe('hello /tmp 1234:2345\nread-only');
    expect(result.exitCode).toBe(0);
  });

  it('with -i sends this stdin to the container and still prints all it wrote', async () => {
    const result = await berthCliWithInput('one\ntwo\n', 'run', '--log-root', logRoot(), '--rm', '-i', image, 'sh', '-c', 'echo start; cat; echo end; exit 2');
    expect(result.stdout, result.stderr).toBe('start\none\ntwo\nend');
    expect(result.exitCode).toBe(2);
  });

  it('with -it runs a shell on this terminal', async () => {
    const result = await berthOnTerminal(`${terminalSize}; exit 3\n`, 'run', '--log-root', logRoot(), '--rm', '-it', '--name', 'shell', image, 'sh');
    expect(result.stdout).toContain("If you don't see a command prompt, try pressing enter.");
    expect(result.stdout).toMatch(/^size 45 123\r?$/m);
    expect(result.exitCode).toBe(3);
    expect(await berth.crictl('pods', '--name', 'shell', '-q')).toBe('');
  });

  it('publishes a port with -p through the CNI portmap plugin', async () => {
    const port = await freePort();
    const started = await run('-d', '--name', 'published', '-p', `127.0.0.1:${port}:8000`, image, 'sh', '-c', 'echo published-page > /tmp/index.html && exec httpd -f -p 8000 -h /tmp');
    expect(started.exitCode, started.stderr).toBe(0);
    const page = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/index.html`);
      return response.ok ? response.text() : undefined;
    });
    expect(page).toBe('published-page\n');
    expect((await berthCli('rm', '-f', 'published')).exitCode).toBe(0);
  });

  it('with -it detaches on Ctrl-P Ctrl-Q, leaving the container running', async () => {
    const result = await berthOnTerminal([{ after: 'try pressing enter', type: '\x10\x11' }], 'run', '--log-root', logRoot(), '-it', '--name', 'detachable', image, 'sh');
    expect(result.stdout).toContain('berth: detached from detachable, which goes on running');
    expect(result.exitCode).toBe(0);
    expect((await berthCli('ps')).stdout).toMatch(/Up .+\s+detachable$/m);
    expect((await berthCli('rm', '-f', 'detachable')).exitCode).toBe(0);
  });

  it('gives the container the GPU that --gpus names', async () => {
    const result = await run('--rm', '--gpus', 'device=1', image, 'sh', '-c', 'ls /dev | grep nvidia[0-9]; echo $NVIDIA_VISIBLE_DEVICES');
    expect(result.stdout).toBe(`nvidia1\n${host.gpus[1]?.uuid}`);
  });

  it('refuses bad requests with a clear error and creates nothing', async () => {
    const badGpus = await run('--gpus', 'device=gpu0', '--name', 'bad-gpus', image, 'true');
    expect(badGpus.exitCode).toBe(1);
    expect(badGpus.stderr).toContain('berth: --gpus "device=gpu0": device "gpu0" is neither a GPU index nor a GPU-<uuid>');
    const tooMany = await run('--gpus', '3', '--name', 'too-many', image, 'true');
    expect(tooMany.stderr).toContain('3 GPUs were requested but this node has 2 GPUs');
    // `data:/data` is a named volume now (as in docker); a relative path is neither.
    const badVolume = await run('-v', '../data:/data', image, 'true');
    expect(badVolume.stderr).toContain('volume name "../data" includes invalid characters');
    const noTerminal = await run('-it', '--name', 'no-terminal', image, 'sh');
    expect(noTerminal.stderr).toContain('the input device is not a TTY: drop -t to pipe input');
    expect(await berth.crictl('pods', '--name', 'no-terminal', '-q')).toBe('');
    expect(await berth.crictl('pods', '--name', 'too-many', '-q')).toBe('');
  });
});

describe('a detached container through ps, logs, exec, stop and rm', () => {
  let id = '';
  beforeAll(async () => {
    const started = await run('-d', '--name', 'web', image, 'sh', '-c', 'echo ready; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done');
    expect(started.exitCode, started.stderr).toBe(0);
    id = started.stdout.trim();
  });

  it('prints the container ID and shows it as Up in ps', async () => {
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await berthCli('ps');
    const line = ps.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 12)));
    expect(line).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+${image.replace(/[.]/g, '\\.')}\\s+.+ ago\\s+Up .+\\s+web$`));
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+CREATED\s+STATUS\s+NAMES$/);
  });

  it("inspect prints the runtime's record of it as JSON", async () => {
    const inspected = await berthCli('inspect', 'web');
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    const [record] = JSON.parse(inspected.stdout) as { status: { id: string; state: string; labels: Record<string, string>; logPath: string }; info: Record<string, unknown> }[];
    expect(record?.status.id).toBe(id);
    expect(record?.status.state).toBe('CONTAINER_RUNNING');
    expect(record?.status.labels['berth.dev/cli-name']).toBe('web');
    expect(record?.status.logPath).toMatch(/\/web_[^/]+\/web\.log$/);
    expect(typeof record?.info).toBe('object');
    expect((await berthCli('inspect', 'no-such')).stderr).toContain('berth: no such container: no-such');
  });

  it('refuses a second container of the same name', async () => {
    const again = await run('-d', '--name', 'web', image, 'true');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`the container name "web" is in use by ${id.slice(0, 12)}`);
  });

  it('prints the logs, the last lines with --tail and times with -t', async () => {
    const logs = await berthCli('logs', 'web');
    expect(logs.stdout.split('\n')[0]).toBe('ready');
    const tail = await berthCli('logs', '--tail', '2', 'web');
    expect(tail.stdout.split('\n')).toHaveLength(2);
    expect(tail.stdout).toMatch(/^tick \d+\ntick \d+$/);
    const timed = await berthCli('logs', '-t', '-n', '1', 'web');
    expect(timed.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) tick \d+$/);
  });

  it('runs a command in it by name or ID prefix with its output and exit code', async () => {
    const exec = await berthCli('exec', 'web', 'sh', '-c', 'hostname; exit 4');
    expect(exec.stdout).toBe('web');
    expect(exec.exitCode).toBe(4);
    const byPrefix = await berthCli('exec', id.slice(0, 8), 'echo', 'prefix');
    expect(byPrefix.stdout).toBe('prefix');
  });

  it("streams a command's input with -i, and gives it a terminal of this size with -it", async () => {
    const piped = await berthCliWithInput('hello\nworld\n', 'exec', '-i', 'web', 'sh', '-c', 'while read line; do echo "got $line"; done; echo stdin ended >&2; exit 5');
    expect(piped.stdout).toBe('got hello\ngot world');
    expect(piped.stderr).toBe('stdin ended');
    expect(piped.exitCode).toBe(5);
    // Input that never ends: berth ends with the command, not with its input.
    const endless = await execa('sh', ['-c', `yes | ${process.execPath} ${berthBin()} exec -i web head -n 2`], {
      env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${berth.socket}` },
      reject: false,
      timeout: 60_000,
    });
    expect(endless.stdout, endless.stderr).toBe('y\ny');
    expect(endless.exitCode).toBe(0);

    const terminal = await berthOnTerminal(`tty; ${terminalSize}; echo $((6 * 7)); exit 7\n`, 'exec', '-it', 'web', 'sh');
    expect(terminal.stdout).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(terminal.stdout).toMatch(/^size 45 123\r?$/m);
    expect(terminal.stdout).toMatch(/^42\r?$/m);
    expect(terminal.exitCode).toBe(7);
  });

  it('follows the logs until the container stops, then stop shows it Exited', async () => {
    const follow = berthCli('logs', '-f', 'web');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stop = await berthCli('stop', '-t', '1', 'web');
    expect(stop.exitCode, stop.stderr).toBe(0);
    const followed = await follow;
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout.split('\n').length).toBeGreaterThan(5);
    const ps = await berthCli('ps', '-a');
    expect(ps.stdout).toMatch(/Exited \((137|143)\) .* ago\s+web/);
    expect((await berthCli('ps')).stdout).not.toContain('web');
  });

  it('rm removes the container, its pod and its logs', async () => {
    const removed = await berthCli('rm', 'web');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect((await berthCli('ps', '-a', '-q')).stdout).not.toContain(id.slice(0, 12));
    expect(await berth.crictl('pods', '--name', 'web', '-q')).toBe('');
    const missing = await berthCli('logs', 'web');
    expect(missing.stderr).toContain('berth: no such container: web');
  });
});

describe('berth rm -f, pull and images', () => {
  it('refuses to remove a running container without -f, and removes it with', async () => {
    expect((await run('-d', '--name', 'sleeper', image, 'sleep', '60')).exitCode).toBe(0);
    const refused = await berthCli('rm', 'sleeper');
    expect(refused.stderr).toContain('container sleeper is running: stop it first');
    expect((await berthCli('rm', '-f', 'sleeper')).exitCode).toBe(0);
    expect(await berth.crictl('ps', '-a', '--name', 'sleeper', '-q')).toBe('');
  });

  it('pulls an image and lists it', async () => {
    const pull = await berthCli('pull', image);
    expect(pull.exitCode, pull.stderr).toBe(0);
    expect(pull.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
    const images = await berthCli('images');
    expect(images.stdout.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
    expect(images.stdout).toMatch(new RegExp(`${registry.replace(/[.]/g, '\\.')}/busybox\\s+latest\\s+[0-9a-f]{12}\\s+\\d`));
  });

  it('says plainly when no runtime answers', async () => {
    const result = await execa(process.execPath, [join(packageRoot(), 'bin/berth.js'), 'ps', '--runtime-endpoint', `unix://${work}/nothing.sock`], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`berth: no CRI runtime answers on unix://${work}/nothing.sock`);
  });
});

// containerd 1.6's streaming server speaks v4.channel.k8s.io, not v5: the run -i below ends its
// input by closing the attach; exec -i cannot pass the end of input on there (berth says so).
describe('the same commands against containerd', () => {
  let containerd: Containerd | undefined;
  const onContainerd = cliOn(() => containerd?.socket ?? '');

  beforeAll(async () => {
    containerd = await startContainerd({ registryHost: registry, cniConfDir: network.confDir });
  });

  afterAll(async () => {
    await containerd?.stop();
  });

  it('runs attached and detached, execs with input and with a terminal, and removes', async () => {
    const attached = await onContainerd.berthCliWithInput('typed\n', 'run', '--log-root', logRoot(), '--rm', '-i', image, 'sh', '-c', 'echo start; cat; exit 2');
    expect(attached.stdout, attached.stderr).toBe('start\ntyped');
    expect(attached.exitCode).toBe(2);

    const detached = await onContainerd.berthCli('run', '--log-root', logRoot(), '-d', '--name', 'on-containerd', image, 'sleep', '600');
    expect(detached.exitCode, detached.stderr).toBe(0);
    const piped = await onContainerd.berthCliWithInput('hello\n', 'exec', '-i', 'on-containerd', 'sh', '-c', 'read line; echo "got $line"; exit 5');
    expect(piped.stdout, piped.stderr).toBe('got hello');
    expect(piped.exitCode).toBe(5);
    const terminal = await onContainerd.berthOnTerminal(`${terminalSize}; exit 7\n`, 'exec', '-it', 'on-containerd', 'sh');
    expect(terminal.stdout).toMatch(/^size 45 123\r?$/m);
    expect(terminal.exitCode).toBe(7);

    expect((await onContainerd.berthCli('rm', '-f', 'on-containerd')).exitCode).toBe(0);
    const gpus = await onContainerd.berthCli('run', '--log-root', logRoot(), '--gpus', 'all', '--name', 'gpus-on-containerd', image, 'true');
    expect(gpus.exitCode).toBe(1);
    expect(gpus.stderr).toMatch(/--gpus is carried to the runtime in berth's annotation, which containerd \S+ would ignore/);
    expect((await onContainerd.berthCli('ps', '-a', '-q')).stdout).toBe('');
  });
});
