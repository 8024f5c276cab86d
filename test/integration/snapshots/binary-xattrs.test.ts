// File capabilities through a real layer: a file given capabilities with setcap, archived by GNU
// tar --xattrs (SCHILY.xattr.security.capability PAX records, the value as raw bytes), unpacked by
// berth with the real setfattr adapter; the vfs_cap_data on the unpacked file must be the source's
// byte for byte, and getcap must read the same capabilities back.
import { execa } from 'execa';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MknodDeviceNodes } from '../../../runtime/linux/device-nodes.js';
import { AttrToolsXattrs } from '../../../runtime/linux/xattr.js';
import { unpackLayer } from '../../../runtime/snapshots/unpack-layer.js';
import { requireRoot } from '../../harness/root.js';

requireRoot('integration');

const xattrs = new AttrToolsXattrs();
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-binary-xattrs-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const cases: { name: string; setcap: string[]; hex: string; getcap: string }[] = [
  {
    name: 'cap_net_bind_service+ep (v2 vfs_cap_data)',
    setcap: ['cap_net_bind_service=+ep'],
    hex: '0100000200040000000000000000000000000000',
    getcap: 'cap_net_bind_service=ep',
  },
  {
    // permitted 0x480: the byte 0x80 alone is not UTF-8 and came out as U+FFFD before
    name: 'cap_net_bind_service,cap_setuid+ep (v2, a 0x80 byte)',
    setcap: ['cap_net_bind_service,cap_setuid=+ep'],
    hex: '0100000280040000000000000000000000000000',
    getcap: 'cap_setuid,cap_net_bind_service=ep',
  },
  {
    // a namespaced file capability: rootid 1000 is the bytes e8 03 00 00
    name: 'cap_net_bind_service+ep for rootid 1000 (v3 vfs_cap_data)',
    setcap: ['-n', '1000', 'cap_net_bind_service=+ep'],
    hex: '0100000300040000000000000000000000000000e8030000',
    getcap: 'cap_net_bind_service=ep [rootid=1000]',
  },
];

describe('binary xattrs through unpack', () => {
  cases.forEach(({ name, setcap, hex, getcap }, index) => {
    it(`keeps ${name} byte for byte`, async () => {
      const source = join(work, `source-${index}`);
      const target = join(work, `target-${index}`);
      mkdirSync(join(source, 'usr/bin'), { recursive: true });
      mkdirSync(target);
      writeFileSync(join(source, 'usr/bin/server'), '#!/bin/sh\n', { mode: 0o755 });
      await execa('setcap', [...setcap, join(source, 'usr/bin/server')]);
      const original = await xattrs.get(join(source, 'usr/bin/server'), 'security.capability');
      expect(original?.toString('hex')).toBe(hex);

      const layer = join(work, `layer-${index}.tar`);
      await execa('tar', ['--xattrs', '--xattrs-include=security.capability', '--format=posix', '-C', source, '-cf', layer, '.']);
      await unpackLayer(createReadStream(layer), target, { xattrs, devices: new MknodDeviceNodes() });

      const unpacked = await xattrs.get(join(target, 'usr/bin/server'), 'security.capability');
      expect(unpacked?.toString('hex')).toBe(hex);
      const { stdout } = await execa('getcap', ['-n', join(target, 'usr/bin/server')]);
      expect(stdout).toBe(`${join(target, 'usr/bin/server')} ${getcap}`);
    });
  });
});
