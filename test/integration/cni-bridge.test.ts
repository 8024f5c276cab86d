// The networking floor of the test world: the real bridge + host-local CNI plugins add a fresh
// network namespace to a bridge, traffic reaches a server inside it, and DEL cleans up.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const suffix = `${process.pid % 10000}`;
const netns = `berth-cni-smoke-${suffix}`;
const bridge = `berthsmk${suffix}`.slice(0, 15);
const work = mkdtempSync(join(tmpdir(), 'berth-cni-'));
const ipamDir = join(work, 'ipam');
// A subnet only this test's bridge and namespace use; the test sends traffic nowhere else.
const subnet = '10.244.251.0/24';

const networkConfig = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'berth-smoke',
  type: 'bridge',
  bridge,
  isGateway: true,
  ipMasq: false,
  ipam: { type: 'host-local', subnet, dataDir: ipamDir, routes: [{ dst: '0.0.0.0/0' }] },
});

async function cni(command: 'ADD' | 'DEL'): Promise<string> {
  const result = await execa('/usr/lib/cni/bridge', [], {
    input: networkConfig,
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: netns,
      CNI_NETNS: `/var/run/netns/${netns}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    },
    timeout: 30_000,
  });
  return result.stdout;
}

let server: { kill(signal: NodeJS.Signals): boolean } | undefined;

afterAll(async () => {
  server?.kill('SIGKILL');
  await cni('DEL').catch(() => undefined);
  await execa('ip', ['netns', 'del', netns], { reject: false });
  await execa('ip', ['link', 'del', bridge], { reject: false });
  rmSync(work, { recursive: true, force: true });
});

describe('CNI bridge + host-local', () => {
  it('ADD gives a fresh netns an address that serves traffic, DEL takes it back', async () => {
    await execa('ip', ['netns', 'add', netns]);
    const result = JSON.parse(await cni('ADD')) as { ips: { address: string; gateway: string }[] };
    const podIp = result.ips[0]?.address.split('/')[0];
    expect(podIp).toMatch(/^10\.244\.251\.\d+$/);

    const { stdout: addresses } = await execa('ip', ['netns', 'exec', netns, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(addresses).toContain(`${podIp}/24`);

    const www = join(work, 'www');
    rmSync(www, { recursive: true, force: true });
    await execa('mkdir', ['-p', www]);
    writeFileSync(join(www, 'index.html'), 'served from inside the pod netns\n');
    const httpd = execa('ip', ['netns', 'exec', netns, 'busybox', 'httpd', '-f', '-p', '8080', '-h', www], {
      reject: false,
    });
    server = httpd;
    let body = '';
    for (let attempt = 0; attempt < 50 && !body; attempt++) {
      body = await fetch(`http://${podIp}:8080/`)
        .then((r) => r.text())
        .catch(async () => {
          await new Promise((r) => setTimeout(r, 100));
          return '';
        });
    }
    expect(body).toBe('served from inside the pod netns\n');
    httpd.kill('SIGKILL');

    await cni('DEL');
    const { stdout: links } = await execa('ip', ['netns', 'exec', netns, 'ip', '-o', 'link']);
    expect(links).not.toContain('eth0');
    const leases = existsSync(join(ipamDir, 'berth-smoke')) ? readdirSync(join(ipamDir, 'berth-smoke')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
    expect(leases).toEqual([]);
  });
});
