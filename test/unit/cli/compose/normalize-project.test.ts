import { describe, expect, it } from 'vitest';
import type { ComposeProject } from '../../../../cli/compose/compose-model.js';
import { normalizeProject } from '../../../../cli/compose/normalize-project.js';

const files: Record<string, string> = { '/proj/web.env': 'FROM_FILE=1\nSHARED=file\n' };
const context = { projectDir: '/proj', homeDir: '/home/me', variables: { SHELL_VAR: 'shell' }, readText: (path: string) => files[path], configFiles: ['/proj/compose.yaml'] };
const normalize = (model: Record<string, unknown>): ComposeProject => normalizeProject(model, 'proj', context);
const web = (service: Record<string, unknown>) => normalize({ services: { web: { image: 'busybox', ...service } }, volumes: { data: {} } }).services['web'];

describe('a compose service, normalized', () => {
  it('reads the version 3 forms', () => {
    const service = web({
      command: 'sh -c "echo \'hi there\'" --flag',
      entrypoint: ['/bin/tini', '--'],
      environment: ['SHARED=env', 'SHELL_VAR', 'UNSET_VAR'],
      env_file: 'web.env',
      ports: ['8080:80', { target: 53, published: '5353', protocol: 'udp', host_ip: '127.0.0.1' }, '[::1]:81:80'],
      volumes: ['./html:/usr/share/html:ro', '../shared:/shared', '~/cache:/cache', 'data:/data', '/anonymous', { type: 'bind', source: '/srv', target: '/srv', read_only: true }],
      restart: 'on-failure:3',
      deploy: { resources: { limits: { cpus: '0.5', memory: '512M' }, reservations: { devices: [{ driver: 'nvidia', device_ids: ['0', '2'], capabilities: ['gpu', 'utility'] }] } } },
      healthcheck: { test: ['CMD', 'wget', '-q', 'localhost'], interval: '1m30s', retries: 5 },
      stop_grace_period: '1500ms',
    });
    expect(service).toMatchObject({
      image: 'busybox',
      imageDerived: false,
      containerName: 'proj-web-1',
      command: ['sh', '-c', "echo 'hi there'", '--flag'],
      entrypoint: ['/bin/tini', '--'],
      environment: { FROM_FILE: '1', SHARED: 'env', SHELL_VAR: 'shell' },
      ports: [
        { hostIp: '', published: 8080, target: 80, protocol: 'tcp' },
        { hostIp: '127.0.0.1', published: 5353, target: 53, protocol: 'udp' },
        { hostIp: '::1', published: 81, target: 80, protocol: 'tcp' },
      ],
      volumes: [
        { type: 'bind', source: '/proj/html', target: '/usr/share/html', readOnly: true },
        { type: 'bind', source: '/shared', target: '/shared', readOnly: false },
        { type: 'bind', source: '/home/me/cache', target: '/cache', readOnly: false },
        { type: 'volume', source: 'data', target: '/data', readOnly: false },
        { type: 'volume', source: '', target: '/anonymous', readOnly: false },
        { type: 'bind', source: '/srv', target: '/srv', readOnly: true },
      ],
      networks: [{ name: 'default', aliases: [] }],
      restart: 'on-failure:3',
      cpus: '0.5',
      memory: String(512 * 1024 ** 2),
      gpus: '"device=0,2",capabilities=utility',
      healthcheck: { test: ['wget', '-q', 'localhost'], intervalMs: 90_000, timeoutMs: 30_000, retries: 5, startPeriodMs: 0 },
      stopTimeoutSeconds: 2,
    });
    expect(service?.environment).not.toHaveProperty('UNSET_VAR');
  });

  it('expands port ranges and maps depends_on lists and maps', () => {
    const project = normalize({
      services: {
        web: { image: 'w', ports: ['9000-9001:8000-8001/udp'], depends_on: { db: { condition: 'service_healthy' } }, links: ['cache:memo'] },
        db: { image: 'd', healthcheck: { test: 'pg_isready' } },
        cache: { build: './cache' },
      },
    });
    expect(project.services['web']?.ports).toEqual([
      { hostIp: '', published: 9000, target: 8000, protocol: 'udp' },
      { hostIp: '', published: 9001, target: 8001, protocol: 'udp' },
    ]);
    expect(project.services['web']?.dependsOn).toEqual({ db: { condition: 'service_healthy', required: true } });
    expect(project.services['web']?.links).toEqual({ cache: ['memo'] });
    expect(project.services['db']?.healthcheck?.test).toEqual(['/bin/sh', '-c', 'pg_isready']);
    expect(project.services['cache']).toMatchObject({ image: 'proj-cache', imageDerived: true, build: { context: '/proj/cache', dockerfile: '/proj/cache/Dockerfile', args: {} } });
    expect(project.networks).toEqual({ default: { name: 'proj_default', external: false, labels: {} } });
  });

  it.each([
    ['an unknown top-level key', { services: { web: { image: 'w' } }, servces: {} }, /unknown top-level key "servces"/],
    ['secrets', { services: { web: { image: 'w' } }, secrets: {} }, /secrets: berth compose does not support the top-level secrets key yet/],
    ['no services', { networks: {} }, /no service is defined/],
    ['neither image nor build', { services: { web: { command: 'true' } } }, /services\.web: the service has neither an image nor a build context/],
    ['an unknown service key', { services: { web: { image: 'w', imgae: 'x' } } }, /services\.web: unknown key "imgae"/],
    ['a key berth leaves out', { services: { web: { image: 'w', cap_add: ['NET_ADMIN'] } } }, /services\.web\.cap_add: berth compose does not support this key yet/],
    ['a cycle', { services: { a: { image: 'w', depends_on: ['b'] }, b: { image: 'w', links: ['a'] } } }, /cycle: a -> b -> a/],
    ['an undefined dependency', { services: { a: { image: 'w', depends_on: ['ghost'] } } }, /services\.a depends on undefined service "ghost"/],
    ['an undeclared volume', { services: { web: { image: 'w', volumes: ['data:/data'] } } }, /services\.web\.volumes\[0\]: the service refers to undefined volume data/],
    ['an undeclared network', { services: { web: { image: 'w', networks: ['back'] } } }, /undefined network back/],
    ['two networks', { services: { web: { image: 'w', networks: ['a', 'b'] } }, networks: { a: {}, b: {} } }, /a berth pod joins one network/],
    ['a port without a host port', { services: { web: { image: 'w', ports: ['80'] } } }, /services\.web\.ports\[0\]: "80" publishes no host port/],
    ['a relative container path', { services: { web: { image: 'w', volumes: ['./a:data'] } } }, /the container path "data" must be absolute/],
    ['a bad restart policy', { services: { web: { image: 'w', restart: 'sometimes' } } }, /services\.web\.restart: no, always/],
    ['replicas', { services: { web: { image: 'w', deploy: { replicas: 3 } } } }, /deploy\.replicas: berth compose supports deploy\.resources only/],
    ['an AMD GPU', { services: { web: { image: 'w', deploy: { resources: { reservations: { devices: [{ driver: 'amd', capabilities: ['gpu'] }] } } } } } }, /NVIDIA GPUs only/],
    ['a missing env_file', { services: { web: { image: 'w', env_file: ['missing.env'] } } }, /services\.web\.env_file\[0\]: \/proj\/missing\.env not found/],
    ['a tmpfs mount', { services: { web: { image: 'w', volumes: [{ type: 'tmpfs', target: '/t' }] } } }, /type tmpfs is not supported/],
  ])('refuses %s, naming the key', (_, model, message) => {
    expect(() => normalize(model as Record<string, unknown>)).toThrow(message);
  });

  it('passes an optional env_file that is missing', () => {
    expect(web({ env_file: [{ path: 'missing.env', required: false }] })?.environment).toEqual({});
  });
});
