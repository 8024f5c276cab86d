// `compose build` and the builds of `up`: each service with a build: section is built by
// `berth build` with docker's flags (-t, -f, --build-arg, --target, the context), run as a child
// of this same CLI entry (the builder is its own command, not a library compose links). Its
// output passes through; a berth without the builder says "unknown command", which becomes an
// error that says building needs `berth build`.
import { spawn } from 'node:child_process';
import { FailedPreconditionError } from '../../common/errors.js';
import type { ComposeService } from './compose-model.js';

export interface BuildIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** berth build's arguments for `service` (pure). */
export function buildArguments(service: ComposeService): string[] {
  const build = service.build;
  if (!build) return [];
  return [
    'build',
    '-t',
    service.image,
    '-f',
    build.dockerfile,
    ...Object.entries(build.args).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    ...(build.target ? ['--target', build.target] : []),
    build.context,
  ];
}

/** The CLI script this process runs (bin/berth.js), so the child is the same berth. */
const cliScript = () => process.argv[1] ?? 'berth';

export async function buildService(endpoint: string, service: ComposeService, io: BuildIo): Promise<void> {
  const args = buildArguments(service);
  const child = spawn(process.execPath, [cliScript(), ...args], {
    env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: endpoint },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
    io.stderr.write(chunk);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code === 0) return;
  if (/unknown command/.test(errors)) {
    throw new FailedPreconditionError(
      `service ${service.name} has a build: section, and building needs \`berth build\`, which this berth does not have: build the image elsewhere and give the service an image:, or use a berth with the builder`,
    );
  }
  throw new FailedPreconditionError(`failed to build service ${service.name}: berth ${args.join(' ')} exited with ${code}`);
}
