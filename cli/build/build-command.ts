// `berth build [OPTIONS] PATH | -`: docker build on berth's runtime. Reads the Dockerfile and the
// context, builds the target stage (stage-builder.ts) with docker's plain progress on stderr,
// tags the image with every -t, and prints docker's closing lines (or, with -q, the id alone on
// stdout). Exit code 1 with docker's ERROR line when a step fails.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { errorMessage, InvalidArgumentError } from '../../common/errors.js';
import { BerthContainersClient } from '../../cri/client/berth-containers-client.js';
import { BerthImagesClient } from '../../cri/client/berth-images-client.js';
import { normalizeReference } from '../../runtime/images/reference.js';
import { withBerthClient } from '../berth-client.js';
import { withSession } from '../containers/cri-session.js';
import { BuildContext } from './build-context.js';
import { BuildProgress } from './build-progress.js';
import type { BuildSession } from './build-session.js';
import { parseDockerfile, targetStage } from './dockerfile-parser.js';
import { StageBuilder } from './stage-builder.js';

export interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  noCache: boolean;
  progress: string;
  quiet: boolean;
  label: string[];
  logRoot: string;
}

export interface BuildIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const isArchive = (bytes: Buffer) => (bytes[0] === 0x1f && bytes[1] === 0x8b) || bytes.subarray(257, 262).toString('latin1') === 'ustar';

/** The context directory and the Dockerfile's text; `-` reads a context tar, or a lone Dockerfile, from stdin. */
async function readInputs(contextArg: string, file: string | undefined, io: BuildIo, scratch: string): Promise<{ root: string; dockerfile: string; dockerfileName: string }> {
  let root = resolve(contextArg);
  let stdinDockerfile: string | undefined;
  if (contextArg === '-') {
    const input = await readAll(io.stdin);
    root = join(scratch, 'context');
    await mkdir(root);
    // A tar on stdin is the whole context (as docker): GNU tar keeps its entries below the directory.
    if (isArchive(input)) await execa('tar', ['-x', '--no-same-owner', '-C', root], { input });
    else stdinDockerfile = input.toString('utf8');
  }
  if (file === '-') {
    if (contextArg === '-') throw new InvalidArgumentError('-f - and a context of - both read stdin; give the context as a directory');
    return { root, dockerfile: (await readAll(io.stdin)).toString('utf8'), dockerfileName: 'Dockerfile' };
  }
  if (stdinDockerfile !== undefined) return { root, dockerfile: stdinDockerfile, dockerfileName: 'Dockerfile' };
  const path = file !== undefined ? resolve(file) : join(root, 'Dockerfile');
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new InvalidArgumentError(`cannot read the Dockerfile ${path}: ${error.code === 'ENOENT' ? 'no such file (give its path with -f)' : error.message}`);
  });
  return { root, dockerfile: text, dockerfileName: file ?? 'Dockerfile' };
}

function buildArgsOf(values: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const value of values) {
    const at = value.indexOf('=');
    // --build-arg NAME takes the value from the environment, as docker's does; unset, it is left out.
    if (at < 0) {
      const fromEnv = process.env[value];
      if (fromEnv !== undefined) args.set(value, fromEnv);
    } else {
      args.set(value.slice(0, at), value.slice(at + 1));
    }
  }
  return args;
}

function labelsOf(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => (value.includes('=') ? [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)] : [value, ''])));
}

export async function buildCommand(endpoint: string, contextArg: string, flags: BuildFlags, io: BuildIo): Promise<number> {
  if (!['plain', 'tty', 'auto'].includes(flags.progress)) throw new InvalidArgumentError(`--progress ${flags.progress}: berth prints plain, tty or auto (all three as plain lines)`);
  const tags = flags.tag.map((tag) => normalizeReference(tag));
  const scratch = await mkdtemp(join(tmpdir(), 'berth-build-'));
  const progress = new BuildProgress(flags.quiet ? undefined : io.stderr);
  try {
    const inputs = await readInputs(contextArg, flags.file, io, scratch);
    const definition = progress.vertex('[internal] load build definition from Dockerfile');
    definition.log(`transferring dockerfile: ${Buffer.byteLength(inputs.dockerfile)}B done`);
    const dockerfile = parseDockerfile(inputs.dockerfile);
    definition.done();
    const target = targetStage(dockerfile, flags.target);
    const context = await BuildContext.open(inputs.root);
    const id = await withSession(endpoint, (session) =>
      withBerthClient(endpoint, 'berth.v1.Images', new BerthImagesClient(endpoint, 3_600_000), (images) =>
        withBerthClient(endpoint, 'berth.v1.Containers', new BerthContainersClient(endpoint, 3_600_000), async (containers) => {
          const build: BuildSession = {
            session,
            images,
            containers,
            context,
            dockerfile,
            buildArgs: buildArgsOf(flags.buildArg),
            usedBuildArgs: new Set(),
            noCache: flags.noCache,
            progress,
            logRoot: flags.logRoot,
            warn: (text) => io.stderr.write(`berth: ${text}\n`),
            imageFor: (reference) => builder.imageFor(reference),
          };
          const builder = new StageBuilder(build, flags.label.length > 0 ? { index: target.index, labels: labelsOf(flags.label) } : undefined);
          const built = await builder.stage(target);
          const unused = [...build.buildArgs.keys()].filter((name) => !build.usedBuildArgs.has(name));
          if (unused.length > 0 && !flags.quiet) io.stderr.write(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
          const exporting = progress.vertex('exporting to image');
          exporting.log(`writing image ${built} done`);
          for (const tag of tags) {
            await images.tag(built, tag);
            exporting.log(`naming to ${tag} done`);
          }
          exporting.done();
          return built;
        }),
      ),
    );
    if (flags.quiet) io.stdout.write(`${id}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`ERROR: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
