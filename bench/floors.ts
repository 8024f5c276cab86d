// The physical floors a runtime cannot beat on this machine, measured the same way as the pods:
// `runc create` + `runc start` of a prepared busybox bundle (no image work, no network, no
// monitor), and one CNI ADD of the bridge + host-local plugins into a fresh netns.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKLOAD_COMMAND } from './pod-start.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

export interface Floors {
  runcCreateStart: Summary;
  cniAdd: Summary;
}

async function runcFloor(layoutDir: string, cgroupParent: string, samples: number): Promise<Summary> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-runc-'));
  const bundle = join(work, 'bundle');
  const root = join(work, 'runc-root');
  try {
    await execa('umoci', ['unpack', '--image', `${layoutDir}:busybox`, bundle]);
    const configPath = join(bundle, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      process: { args: string[]; terminal: boolean };
      linux: { cgroupsPath?: string };
    };
    config.process.args = WORKLOAD_COMMAND;
    config.process.terminal = false;
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = `berth-bench-floor-${process.pid}-${i}`;
      config.linux.cgroupsPath = `${cgroupParent}/${id}`;
      writeFileSync(configPath, JSON.stringify(config));
      const t0 = process.hrtime.bigint();
      await execa('runc', ['--root', root, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
      await execa('runc', ['--root', root, 'start', id]);
      times.push(elapsedMs(t0));
      await execa('runc', ['--root', root, 'delete', '--force', id]);
    }
    return summarize(times);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function cniFloor(samples: number, cniBinDir: string): Promise<Summary> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-cni-'));
  const bridge = 'berthflr0';
  const config = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'berth-bench-floor',
    type: 'bridge',
    bridge,
    isGateway: true,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.118.0/24' }]], dataDir: join(work, 'ipam') },
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const netns = `berth-bench-floor-${process.pid}-${i}`;
      await execa('ip', ['netns', 'add', netns]);
      const env = {
        CNI_CONTAINERID: netns,
        CNI_NETNS: `/var/run/netns/${netns}`,
        CNI_IFNAME: 'eth0',
        CNI_PATH: cniBinDir,
      };
      try {
        const t0 = process.hrtime.bigint();
        await execa(join(cniBinDir, 'bridge'), [], { input: config, env: { ...env, CNI_COMMAND: 'ADD' } });
        times.push(elapsedMs(t0));
        await execa(join(cniBinDir, 'bridge'), [], { input: config, env: { ...env, CNI_COMMAND: 'DEL' } });
      } finally {
        await execa('ip', ['netns', 'del', netns], { reject: false });
      }
    }
    return summarize(times);
  } finally {
    await execa('ip', ['link', 'del', bridge], { reject: false });
    rmSync(work, { recursive: true, force: true });
  }
}

export async function measureFloors(options: { layoutDir: string; cgroupParent: string; samples: number; cniBinDir: string }): Promise<Floors> {
  return {
    runcCreateStart: await runcFloor(options.layoutDir, options.cgroupParent, options.samples),
    cniAdd: await cniFloor(options.samples, options.cniBinDir),
  };
}
