import { describe, expect, it } from 'vitest';
import { formatRows } from '../../../cli/format-template.js';
import { formatUsage, usageLine } from '../../../cli/system/disk-usage-command.js';
import { goArch, prettyName } from '../../../cli/system/host-facts.js';
import { formatInfo, infoRow } from '../../../cli/system/info-command.js';
import { systemPruneWarning } from '../../../cli/system/prune-command.js';
import { formatVersion, versionRow } from '../../../cli/system/version-command.js';

const host = {
  kernelVersion: '6.1.0-28-cloud-amd64',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osType: 'linux',
  architecture: 'x86_64',
  cpus: 2,
  memTotalBytes: 8 * 1024 ** 3,
  name: 'node-a',
  cgroupVersion: '1' as const,
};

describe('--format with nested fields', () => {
  it('walks a dotted path and names the fields where a step is missing', () => {
    const row = { Server: { Version: '1.2', Platform: { Name: 'berth' } } };
    expect(formatRows('{{.Server.Platform.Name}} {{.Server.Version}}', [row], {})).toBe('berth 1.2\n');
    expect(formatRows('{{json .Server.Platform}}', [row], {})).toBe('{"Name":"berth"}\n');
    expect(() => formatRows('{{.Server.Nope}}', [row], {})).toThrow('there is no field Server.Nope; the fields are Version, Platform');
  });

  it('heads a table column with the last step of its path', () => {
    expect(formatRows('table {{.A.Size}}', [{ A: { Size: 3 } }], {})).toBe('SIZE\n3\n');
  });
});

describe('host facts', () => {
  it("reads os-release's PRETTY_NAME, quoted or not", () => {
    expect(prettyName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(prettyName('PRETTY_NAME=Plain\n')).toBe('Plain');
    expect(prettyName('')).toBe('Linux');
  });

  it("names architectures as Go's GOARCH", () => {
    expect(goArch('x86_64')).toBe('amd64');
    expect(goArch('aarch64')).toBe('arm64');
    expect(goArch('mips')).toBe('mips');
  });
});

describe('berth info', () => {
  const row = infoRow({
    states: ['CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_CREATED'],
    images: 4,
    runtimeName: 'berth',
    runtimeVersion: '0.1.0',
    cgroupDriver: 'cgroupfs',
    config: { rootDir: '/var/lib/berth', ociRuntime: 'runc', insecureRegistries: ['127.0.0.1:5000'], registryMirrors: { 'docker.io': 'http://mirror' } },
    ready: [
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no CNI config' },
    ],
    host,
  });

  it('counts containers as docker does: created and exited are stopped', () => {
    expect(row).toMatchObject({ Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, Images: 4, CgroupVersion: '1', NCPU: 2, DockerRootDir: '/var/lib/berth' });
  });

  it("prints docker's sections, the registries as lists and a runtime condition that is false as a warning", () => {
    const text = formatInfo(row);
    expect(text).toContain('\nServer:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n Server Version: berth 0.1.0\n');
    expect(text).toContain(' Total Memory: 8GiB\n');
    expect(text).toContain(' Insecure Registries:\n  127.0.0.1:5000\n Registry Mirrors:\n  docker.io=http://mirror\n');
    expect(text).toContain('WARNING: NetworkReady is false: NetworkPluginNotReady (no CNI config)');
    expect(text).not.toContain('RuntimeReady');
  });
});

describe('berth version', () => {
  it('prints the client alone when no server answered', () => {
    const text = formatVersion(versionRow(undefined, 'amd64'));
    expect(text).toMatch(/^Client:\n Version: {11}\S+\n API version: {7}v1 \(CRI\)\n/);
    expect(text).not.toContain('Server');
  });

  it("prints the server's engine with its name", () => {
    const text = formatVersion(versionRow({ runtimeName: 'containerd', runtimeVersion: 'v2.4.2', runtimeApiVersion: 'v1' }, 'arm64'));
    expect(text).toContain('\nServer: containerd\n Engine:\n  Version:          v2.4.2\n  API version:      v1 (CRI)\n  OS/Arch:          linux/arm64\n');
  });
});

describe('berth system df', () => {
  it('sums sizes, counts active items and gives the reclaimable share', () => {
    const lines = [
      usageLine('Images', [
        { active: true, bytes: 3_000_000 },
        { active: false, bytes: 1_000_000 },
      ]),
      usageLine('Containers', []),
    ];
    expect(formatUsage(lines, undefined)).toBe(
      'TYPE         TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages       2         1         4MB       1MB (25%)\nContainers   0         0         0B        0B\n',
    );
    expect(formatUsage(lines, 'table {{.Type}}\\t{{.TotalCount}}')).toBe('TYPE         TOTAL\nImages       2\nContainers   0\n');
  });
});

describe('berth system prune', () => {
  it("warns of what the options remove, in docker's words", () => {
    expect(systemPruneWarning({ all: false, volumes: false })).toBe(
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n',
    );
    expect(systemPruneWarning({ all: true, volumes: true })).toContain(
      '  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n',
    );
  });
});
