// berth compose as a user types it: the real `berth` binary against a real `berth runtime`
// (runc, conmon, the CNI bridge, host-local and portmap plugins), the seeded registry's images.
// The project: nginx (Debian's, from the e2e images) proxying to a busybox httpd by its service
// name on the project's network, published on a host port; then ps/logs/exec/stop/start/restart
// shapes, and `down -v` leaving nothing behind.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { freePort } from '../../harness/ports.js';

const registry = inject('registryHost');
// The file's default network is 10.244.197.0/24; the project's network takes 10.244.202.0/24.
const world = cliWorld('cli-compose', 197);
const { cli: berth } = world;
let project = '';
let port = 0;
const compose = (...args: string[]) =>
  execa(process.execPath, [world.berthBin(), 'compose', ...args], { ...world.options(), cwd: project, stdin: 'ignore', env: { ...world.options().env, WEB_PORT: String(port) } });
/**
 * The proxied page; after 60 s of tries, the last answer (or error) as the failure. Each try is
 * bounded: fetch keeps the connection of an earlier page alive, and after stop/start that
 * connection leads to a pod that is gone, where packets vanish without a reset (two merged runs
 * hung there until the test's timeout); an aborted try drops it and the next one connects anew.
 */
async function page(): Promise<string> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer yet';
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (response.ok) return body;
      last = `HTTP ${response.status}: ${body.slice(0, 200)}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      // What web and api said, and the names web's pod resolves, tell a refused upstream from a stale one.
      const logs = await compose('logs', '--tail', '20');
      const hosts = await compose('exec', '-T', 'web', 'cat', '/etc/hosts');
      throw new Error(`the page did not answer through port ${port} within 60 s; last: ${last}\nlogs:\n${logs.stdout}${logs.stderr}\nweb's /etc/hosts:\n${hosts.stdout}${hosts.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const composeFile = `
services:
  web:
    image: \${REGISTRY}/e2e-test-images/nginx:1.14-2
    ports: ["127.0.0.1:\${WEB_PORT}:80"]
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - ./nsswitch.conf:/etc/nsswitch.conf:ro
    depends_on: [api]
  api:
    image: \${REGISTRY}/busybox:latest
    command: ["sh", "-c", "echo hello from $$GREETING_TARGET $$FROM_FILE > /tmp/index.html; echo api-started; exec httpd -f -p 8080 -h /tmp"]
    env_file: api.env
    environment:
      GREETING_TARGET: \${TARGET:-nobody}
    volumes: ["data:/data"]
    networks:
      default:
        aliases: [backend]
networks:
  default:
    ipam:
      config: [{subnet: 10.244.202.0/24}]
volumes:
  data: {}
`;

// nginx resolves the upstream's name once, when it loads its configuration: /etc/hosts first.
const nginxConf = `user www-data;
worker_processes 1;
pid /var/run/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
  access_log /dev/stdout;
  server { listen 80; location / { proxy_pass http://api:8080; } }
}
`;

beforeAll(async () => {
  port = await freePort();
  project = join(world.work, 'Shop.App');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'compose.yaml'), composeFile);
  await writeFile(join(project, 'nginx.conf'), nginxConf);
  await writeFile(join(project, 'nsswitch.conf'), 'hosts: files dns\n');
  await writeFile(join(project, '.env'), `REGISTRY=${registry}\nTARGET=dotenv\n`);
  await writeFile(join(project, 'api.env'), 'FROM_FILE="and env_file"\n');
});

// A failed test leaves its project up: take each down (networks are not the CLI world's to clean) before the runtime stops.
afterAll(async () => {
  for (const [name, file] of [
    ['shopapp', 'compose.yaml'],
    ['deps', 'deps.yaml'],
    ['once', 'once.yaml'],
    ['built', 'build.yaml'],
  ]) {
    await compose('-f', join(project, file ?? ''), '-p', name ?? '', 'down', '-v', '--remove-orphans');
  }
});

describe('berth compose up: a web server that proxies to a second service by its name', () => {
  it('prints the resolved model with config (the directory name as project name, .env and env_file applied)', async () => {
    const result = await compose('config');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^name: shopapp$/m);
    expect(result.stdout).toContain(`image: ${registry}/e2e-test-images/nginx:1.14-2`);
    expect(result.stdout).toMatch(/GREETING_TARGET: dotenv\n\s+FROM_FILE|FROM_FILE: and env_file/);
    expect(result.stdout).toContain(`source: ${project}/nginx.conf`);
    expect(result.stdout).toMatch(/name: shopapp_default/);
  });

  it('starts the network, the volume and the containers in dependency order', async () => {
    const result = await compose('up', '-d');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    expect(lines).toContain(' Network shopapp_default  Created');
    expect(lines).toContain(' Volume "shopapp_data"  Created');
    expect(lines.indexOf(' Container shopapp-api-1  Started')).toBeGreaterThan(-1);
    expect(lines.indexOf(' Container shopapp-api-1  Started')).toBeLessThan(lines.indexOf(' Container shopapp-web-1  Started'));
  });

  it('answers through the published port from the host, proxied to the api service by name', async () => {
    expect(await page()).toBe('hello from dotenv and env_file\n');
  });

  it("resolves the service name and its alias in the other container's /etc/hosts", async () => {
    const hosts = await compose('exec', '-T', 'web', 'cat', '/etc/hosts');
    expect(hosts.exitCode, hosts.stderr).toBe(0);
    expect(hosts.stdout).toMatch(/^10\.244\.202\.\d+\tshopapp-api-1 api backend$/m);
  });

  it('keeps a running container whose service did not change on a second up', async () => {
    const result = await compose('up', '-d');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(' Container shopapp-api-1  Running');
    expect(result.stderr).toContain(' Container shopapp-web-1  Running');
  });
});

describe('berth compose ps / logs / exec', () => {
  it("lists the project's containers in docker compose's table", async () => {
    const result = await compose('ps');
    expect(result.exitCode, result.stderr).toBe(0);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^shopapp-api-1 +${registry}/busybox:latest +"sh -c echo hello fr…" +api +.+ ago +Up .+$`));
    expect(rows[1]).toMatch(new RegExp(`^shopapp-web-1 +.+nginx:1.14-2 +"nginx -g daemon off;" +web +.+ago +Up .+ +127\\.0\\.0\\.1:${port}->80/tcp$`));
    const quiet = await compose('ps', '-q');
    expect(quiet.stdout.split('\n')).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });

  it('prefixes each line with its container name, padded as docker compose does', async () => {
    const result = await compose('logs', 'api', 'web');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^shopapp-api-1 {2}\| api-started$/m);
    expect(result.stdout).toMatch(/^shopapp-web-1 {2}\| .*"GET \/index.html HTTP\/1.1" 200/m);
    const tail = await compose('logs', '--tail', '1', '-t', 'api');
    expect(tail.stdout).toMatch(/^shopapp-api-1 {2}\| \d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d) api-started$/);
  });

  it("passes the command's exit code through exec", async () => {
    const result = await compose('exec', '-T', 'api', 'sh', '-c', 'echo in-api; exit 3');
    expect(result.stdout).toBe('in-api');
    expect(result.exitCode).toBe(3);
    const missing = await compose('exec', '-T', 'nope', 'true');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/no such service: nope/);
  });
});

describe('berth compose stop / start / restart', () => {
  it('stops dependents first, and ps -a shows them exited', async () => {
    const result = await compose('stop');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([' Container shopapp-web-1  Stopped', ' Container shopapp-api-1  Stopped']);
    expect((await compose('ps')).stdout.trim().split('\n')).toHaveLength(1);
    expect((await compose('ps', '-a')).stdout).toMatch(/^shopapp-web-1 .+ Exited \(\d+\)/m);
  });

  // compose start (bounded at 120 s by the CLI runner) and then up to 60 s for the page.
  it('starts dependencies first, and the page answers again', { timeout: 240_000 }, async () => {
    const result = await compose('start');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([' Container shopapp-api-1  Started', ' Container shopapp-web-1  Started']);
    expect(await page()).toBe('hello from dotenv and env_file\n');
  });

  it('restarts one service', async () => {
    const result = await compose('restart', 'web');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('Container shopapp-web-1  Started');
    expect(await page()).toBe('hello from dotenv and env_file\n');
  });
});

describe('berth compose down -v', () => {
  it('leaves no container, pod, network, volume or port mapping behind', async () => {
    const before = await execa('iptables-save', ['-t', 'nat']);
    expect(before.stdout).toContain(`--dport ${port}`);
    const network = JSON.parse((await berth('network', 'inspect', 'shopapp_default')).stdout) as { ID: string }[];
    const bridge = `br-${network[0]?.ID.slice(0, 12)}`;
    const result = await compose('down', '-v');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(' Network shopapp_default  Removed');
    expect(result.stderr).toContain(' Volume shopapp_data  Removed');
    expect((await berth('ps', '-a', '-q')).stdout).toBe('');
    expect(await world.berth.crictl('pods', '-q')).toBe('');
    expect((await berth('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n')).not.toContain('shopapp_default');
    expect((await berth('volume', 'ls', '-q')).stdout).toBe('');
    expect((await execa('ip', ['link', 'show', bridge], { reject: false })).exitCode).not.toBe(0);
    expect((await execa('iptables-save', ['-t', 'nat'])).stdout).not.toContain(`--dport ${port}`);
    expect((await compose('ps', '-a', '-q')).stdout).toBe('');
  });
});

describe('berth compose up: depends_on conditions', () => {
  const dependent = `
services:
  app:
    image: \${REGISTRY}/busybox:latest
    command: ["sh", "-c", "cat /shared/done; exec sleep 300"]
    volumes: ["shared:/shared:ro"]
    depends_on:
      migrate: {condition: service_completed_successfully}
      db: {condition: service_healthy}
    stop_grace_period: 1s
  db:
    image: \${REGISTRY}/busybox:latest
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 300"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 500ms, retries: 30}
  migrate:
    image: \${REGISTRY}/busybox:latest
    command: ["sh", "-c", "sleep 1; echo migrated > /shared/done"]
    volumes: ["shared:/shared"]
networks:
  default:
    ipam:
      config: [{subnet: 10.244.202.0/24}]
volumes:
  shared:
`;
  let file = '';
  const deps = (...args: string[]) => compose('-f', file, '-p', 'deps', ...args);

  it('starts a service only once its dependencies have completed and are healthy', async () => {
    file = join(project, 'deps.yaml');
    await writeFile(file, dependent);
    const result = await deps('up', '-d');
    expect(result.exitCode, result.stderr).toBe(0);
    const started = result.stderr.split('\n').filter((line) => line.endsWith('Started'));
    expect(started).toEqual([' Container deps-migrate-1  Started', ' Container deps-db-1  Started', ' Container deps-app-1  Started']);
    const logs = await deps('logs', 'app');
    expect(logs.stdout).toBe('deps-app-1  | migrated');
    expect((await deps('ps', '-a')).stdout).toMatch(/^deps-migrate-1 .+ Exited \(0\)/m);
    expect((await deps('exec', '-T', 'db', 'test', '-f', '/tmp/ready')).exitCode).toBe(0);
  });

  it('takes it all down again', async () => {
    const result = await deps('down', '-v');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.endsWith('Removed'))).toEqual([
      ' Container deps-app-1  Removed',
      ' Container deps-db-1  Removed',
      ' Container deps-migrate-1  Removed',
      ' Network deps_default  Removed',
      ' Volume deps_shared  Removed',
    ]);
    expect(await world.berth.crictl('pods', '-q')).toBe('');
  });
});

describe('berth compose up, attached', () => {
  it("prints the containers' prefixed output and ends once they have stopped", async () => {
    const file = join(project, 'once.yaml');
    await writeFile(
      file,
      `services:\n  hello:\n    image: ${registry}/busybox:latest\n    command: ["sh", "-c", "echo hello-1; echo hello-2 >&2"]\nnetworks:\n  default:\n    ipam:\n      config: [{subnet: 10.244.202.0/24}]\n`,
    );
    const result = await compose('-f', file, '-p', 'once', 'up');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('Attaching to once-hello-1\nonce-hello-1  | hello-1\nonce-hello-1  | hello-2');
    const down = await compose('-f', file, '-p', 'once', 'down');
    expect(down.exitCode, down.stderr).toBe(0);
    expect((await berth('ps', '-a', '-q')).stdout).toBe('');
  });
});

describe('berth compose refusals', () => {
  it.each([
    ['an unknown top-level key', 'services:\n  web:\n    image: busybox\nservice:\n  x: {}\n', /unknown top-level key "service"/],
    ['a service with neither image nor build', 'services:\n  web:\n    command: "true"\n', /services\.web: the service has neither an image nor a build context/],
    ['a cycle in depends_on', 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n', /cycle: a -> b -> a/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax, in the file's text
    ['a required variable left unset', 'services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n', /required variable IMAGE is missing a value: set IMAGE first \(in services\.web\.image\)/],
  ])('refuses %s, naming the key, before touching the runtime', async (_, content, message) => {
    const file = join(project, 'bad.yaml');
    await writeFile(file, content);
    const result = await compose('-f', file, 'up', '-d');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect((await berth('ps', '-a', '-q')).stdout).toBe('');
  });

  it('builds a build: service with berth build', async () => {
    const context = join(project, 'built');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'Dockerfile'), `FROM ${registry}/busybox:latest\nRUN echo built-by-berth > /built\nCMD ["sleep", "300"]\n`);
    const file = join(project, 'build.yaml');
    await writeFile(file, 'services:\n  made:\n    build: ./built\nnetworks:\n  default:\n    ipam:\n      config: [{subnet: 10.244.202.0/24}]\n');
    const result = await compose('-f', file, '-p', 'built', 'up', '-d');
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await compose('-f', file, '-p', 'built', 'exec', '-T', 'made', 'cat', '/built')).stdout).toBe('built-by-berth');
    const down = await compose('-f', file, '-p', 'built', 'down', '--rmi', 'local');
    expect(down.exitCode, down.stderr).toBe(0);
    expect((await berth('ps', '-a', '-q')).stdout).toBe('');
  });
});
