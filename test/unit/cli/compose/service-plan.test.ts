import { describe, expect, it } from 'vitest';
import type { ComposeProject } from '../../../../cli/compose/compose-model.js';
import { buildArguments } from '../../../../cli/compose/compose-build.js';
import { configYaml } from '../../../../cli/compose/compose-config.js';
import { prefixes, PrefixedPrinter } from '../../../../cli/compose/compose-logs.js';
import { projectNameFromDirectory } from '../../../../cli/compose/load-project.js';
import { normalizeProject } from '../../../../cli/compose/normalize-project.js';
import { planService } from '../../../../cli/compose/service-plan.js';

const context = { projectDir: '/proj', homeDir: '/home/me', variables: {}, readText: () => undefined, configFiles: ['/proj/compose.yaml'] };
const project: ComposeProject = normalizeProject(
  {
    services: {
      web: {
        image: 'nginx',
        entrypoint: ['/docker-entrypoint.sh'],
        ports: ['127.0.0.1:8080:80'],
        volumes: ['./conf:/etc/nginx:ro', 'data:/data'],
        depends_on: ['api'],
        links: ['api:backend'],
        environment: { MODE: 'prod' },
        labels: { team: 'web' },
        deploy: { resources: { limits: { memory: '64m' } } },
      },
      api: { build: { context: 'api', dockerfile: 'Containerfile', args: { VERSION: '2' }, target: 'runtime' }, networks: { default: { aliases: ['backend-api'] } }, command: 'serve --port 8080' },
    },
    volumes: { data: {} },
  },
  'shop',
  context,
);

describe("a service as berth run's pod and container", () => {
  const plan = planService(project.services['web'] as NonNullable<(typeof project.services)['web']>, project, { logRoot: '/var/log/berth', uid: '00000000-0000-0000-0000-000000000001' });

  it("carries docker compose's labels, by which ps and down find the project", () => {
    expect(plan.container.labels).toMatchObject({
      team: 'web',
      'com.docker.compose.project': 'shop',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': '/proj',
      'com.docker.compose.project.config_files': '/proj/compose.yaml',
      'com.docker.compose.depends_on': 'api:service_started:false',
      'com.docker.compose.config-hash': expect.stringMatching(/^[0-9a-f]{64}$/),
      'berth.dev/cli-name': 'shop-web-1',
    });
    expect(plan.pod.labels).toMatchObject({ 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' });
  });

  it("joins the project's network, answering to the service name, with its links' names for its peers", () => {
    expect(plan.pod.annotations).toEqual({ 'berth.dev/network': 'shop_default', 'berth.dev/network-aliases': 'web', 'berth.dev/network-links': 'api:backend' });
    const api = planService(project.services['api'] as NonNullable<(typeof project.services)['api']>, project, { logRoot: '/l', uid: '00000000-0000-0000-0000-000000000002' });
    expect(api.pod.annotations?.['berth.dev/network-aliases']).toBe('api,backend-api');
    expect(api.container.args).toEqual(['serve', '--port', '8080']);
    expect(api.container.command).toBeUndefined();
  });

  it('maps the ports, volumes, environment, entrypoint and limits', () => {
    expect(plan.pod.portMappings).toEqual([{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' }]);
    expect(plan.container.mounts).toEqual([
      { hostPath: '/proj/conf', containerPath: '/etc/nginx', readonly: true },
      { hostPath: '', containerPath: '/data', readonly: false },
    ]);
    expect(plan.volumes).toEqual([{ name: 'shop_data', mountIndex: 1 }]);
    expect(plan.container.envs).toEqual([{ key: 'MODE', value: Buffer.from('prod') }]);
    expect(plan.container.command).toEqual(['/docker-entrypoint.sh']);
    expect(plan.container.args).toEqual([]);
    expect(plan.container.linux?.resources?.memoryLimitInBytes).toBe(64 * 1024 ** 2);
  });
});

describe('the other pure parts', () => {
  it("runs berth build with docker's flags", () => {
    expect(buildArguments(project.services['api'] as NonNullable<(typeof project.services)['api']>)).toEqual([
      'build',
      '-t',
      'shop-api',
      '-f',
      '/proj/api/Containerfile',
      '--build-arg',
      'VERSION=2',
      '--target',
      'runtime',
      '/proj/api',
    ]);
  });

  it('names a project after its directory as docker compose does', () => {
    expect(projectNameFromDirectory('/home/me/My.Web_App-2')).toBe('myweb_app-2');
    expect(projectNameFromDirectory('/srv/__Demo')).toBe('demo');
  });

  it('prefixes log lines with padded names, partial pieces kept on their line', () => {
    const [api = '', web = ''] = prefixes(['shop-api-1', 'shop-web-long-1']);
    expect(api).toBe('shop-api-1       | ');
    const printer = new PrefixedPrinter(web, true);
    expect(
      printer.format([
        { stream: 'stdout', timestamp: 'T1', text: 'one', endsLine: false },
        { stream: 'stdout', timestamp: 'T1', text: ' more', endsLine: true },
        { stream: 'stderr', timestamp: 'T2', text: 'two', endsLine: true },
      ]),
    ).toBe('shop-web-long-1  | T1 one more\nshop-web-long-1  | T2 two\n');
  });

  it('prints the resolved model as YAML', () => {
    const text = configYaml(project);
    expect(text).toMatch(/^name: shop\nservices:\n {2}web:\n/);
    expect(text).toContain("    ports:\n      - mode: ingress\n        host_ip: 127.0.0.1\n        target: 80\n        published: '8080'\n        protocol: tcp\n");
    expect(text).toContain('networks:\n  default:\n    name: shop_default\nvolumes:\n  data:\n    name: shop_data\n');
  });
});
