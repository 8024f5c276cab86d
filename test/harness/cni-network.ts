// A CNI conf dir for one test file: its own bridge and /24 subnet, so concurrent tests and other
// berth instances never share addresses, and a remove() that deletes the bridge afterwards.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CniTestNetwork {
  confDir: string;
  /** The conflist's network name. */
  name: string;
  /** host-local's data dir (leases under <ipamDir>/<name>). */
  ipamDir: string;
  bridge: string;
  subnet: string;
  ipPattern: RegExp;
  remove(): Promise<void>;
}

/**
 * `octet` picks the subnet 10.244.<octet>.0/24; use a distinct one per test file. `ipMasq` makes
 * the bridge plugin add its per-sandbox nat chain, as berth's default network does.
 */
export function cniTestNetwork(name: string, octet: number, options: { ipMasq?: boolean } = {}): CniTestNetwork {
  const confDir = mkdtempSync(join(tmpdir(), `berth-cni-${name}-`));
  const ipamDir = join(confDir, 'ipam');
  const bridge = `berth${octet}`;
  const subnet = `10.244.${octet}.0/24`;
  writeFileSync(
    join(confDir, '10-berth-test.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: `berth-test-${name}`,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: options.ipMasq ?? false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  return {
    confDir,
    name: `berth-test-${name}`,
    ipamDir,
    bridge,
    subnet,
    ipPattern: new RegExp(`^10\\.244\\.${octet}\\.\\d+$`),
    remove: async () => {
      await execa('ip', ['link', 'del', bridge], { reject: false });
      rmSync(confDir, { recursive: true, force: true });
    },
  };
}
