// ExecSync against a real running container (runc exec).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciWorld, type OciWorld } from './oci-fixture.js';

let world: OciWorld;
let id: string;

beforeAll(async () => {
  world = await createOciWorld();
  const bundle = await world.bundle('sleep 1000');
  id = bundle.id;
  await world.monitor.create({ id, bundleDir: bundle.bundleDir, logPath: bundle.logPath, terminal: false, stdin: false });
  await world.monitor.start(id);
});

afterAll(async () => {
  await world?.cleanup();
});

describe('exec-sync in a running container (real runc)', () => {
  it('returns stdout, stderr and the exit code of the command', async () => {
    const result = await world.monitor.execSync(id, ['sh', '-c', 'echo out; echo err >&2; exit 7'], 10);

    expect(result.stdout.toString()).toBe('out\n');
    expect(result.stderr.toString()).toBe('err\n');
    expect(result.exitCode).toBe(7);
  });

  it('runs the command with the container process environment', async () => {
    const result = await world.monitor.execSync(id, ['sh', '-c', 'echo $PATH; cat /etc/berth-image'], 10);

    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toContain("hello from berth's busybox image");
  });

  it('reports a timeout as DEADLINE_EXCEEDED and kills the command', async () => {
    await expect(world.monitor.execSync(id, ['sleep', '777'], 1)).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringContaining('timed out after 1 s and was killed') as unknown,
    });

    const processes = await world.monitor.execSync(id, ['ps', '-o', 'args'], 10);
    expect(processes.stdout.toString()).not.toContain('sleep 777');
  });

  it('keeps 16 MiB of a stream and flags the rest as truncated', async () => {
    const result = await world.monitor.execSync(id, ['sh', '-c', 'head -c 17000000 /dev/zero; echo small >&2'], 60);

    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(16 * 1024 * 1024);
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderr.toString()).toBe('small\n');
    expect(result.stderrTruncated).toBe(false);
  });

  it('fails with the runtime message when the command does not exist', async () => {
    await expect(world.monitor.execSync(id, ['/no/such/command'], 10)).rejects.toThrow(/exec of container .* failed: .*no\/such\/command/);
  });

  it('fails with NOT_FOUND for a container the runtime does not know', async () => {
    await expect(world.monitor.execSync('berth-oci-missing', ['true'], 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
