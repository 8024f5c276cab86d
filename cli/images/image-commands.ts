// docker's image commands on berth: tag, rmi, history, save, load, import, push, login, logout,
// image prune. Each is a client of berth.v1.Images on the runtime's socket (never of the stores
// directly); login/logout also keep the docker config.json the CLI's pulls and pushes read.
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { BerthError, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import { BerthImagesClient } from '../../cri/client/berth-images-client.js';
import { authForImage, credentialsFor, dockerHubServer, readDockerConfig, serverKey, withCredentials, writeDockerConfig } from './docker-config.js';
import { withBerthClient } from '../berth-client.js';
import { confirmPrune } from '../prompt.js';
import { formatHistory, loadLines, pruneReport, pushLine, removalLines } from './image-output.js';

export interface ImageIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/** Runs `body` with a client of berth.v1.Images, saying plainly when nothing answers. */
export function withImages<T>(endpoint: string, body: (client: BerthImagesClient) => Promise<T>): Promise<T> {
  return withBerthClient(endpoint, 'berth.v1.Images', new BerthImagesClient(endpoint), body);
}

export async function tagImage(client: BerthImagesClient, source: string, target: string): Promise<void> {
  await client.tag(source, target);
}

/** docker rmi: each image in turn; a failure is reported and the rest still go. Answers the exit code. */
export async function removeImages(client: BerthImagesClient, images: readonly string[], force: boolean, io: ImageIo): Promise<number> {
  let exitCode = 0;
  for (const image of images) {
    try {
      io.stdout.write(removalLines(await client.remove(image, force)));
    } catch (error) {
      if (!(error instanceof BerthError)) throw error;
      io.stderr.write(`Error response from daemon: ${error.message.replace(/^Remove: /, '')}\n`);
      exitCode = 1;
    }
  }
  return exitCode;
}

export async function showHistory(client: BerthImagesClient, image: string, options: { noTrunc: boolean; quiet: boolean }, io: ImageIo): Promise<void> {
  const { entries } = await client.history(image);
  io.stdout.write(formatHistory(entries, Date.now(), options));
}

export async function saveImages(client: BerthImagesClient, images: readonly string[], output: string | undefined, io: ImageIo): Promise<void> {
  if (output === undefined && io.stdout.isTTY) {
    throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  if (output === undefined) {
    for await (const chunk of client.save(images)) if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
  } else {
    await pipeline(client.save(images), createWriteStream(output, { mode: 0o644 }));
  }
}

export async function loadImages(client: BerthImagesClient, input: string | undefined, io: ImageIo): Promise<void> {
  if (input === undefined && io.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is empty');
  const source = input === undefined ? io.stdin : await openInput(input);
  const { images } = await client.load(source as AsyncIterable<Uint8Array>);
  io.stdout.write(loadLines(images));
}

export async function importTarball(client: BerthImagesClient, file: string, reference: string | undefined, options: { changes: string[]; message?: string }, io: ImageIo): Promise<void> {
  const source = file === '-' ? io.stdin : /^https?:\/\//.test(file) ? undefined : await openInput(file);
  if (!source) throw new InvalidArgumentError(`importing from a URL (${file}) is not supported; download it and import the file`);
  const { id } = await client.import({ reference: reference ?? '', changes: options.changes, message: options.message ?? '', source: file }, source as AsyncIterable<Uint8Array>);
  io.stdout.write(`${id}\n`);
}

export async function pushImage(client: BerthImagesClient, image: string, io: ImageIo): Promise<void> {
  await client.push(image, (await authForImage(image)) ?? null, (progress) => io.stdout.write(pushLine(progress)));
}

/** docker login: -u with -p or --password-stdin; checked by the runtime, then stored. */
export async function login(client: BerthImagesClient, server: string | undefined, options: { username?: string; password?: string; passwordStdin: boolean }, io: ImageIo): Promise<void> {
  const key = serverKey(server ?? dockerHubServer);
  if (options.password !== undefined && options.passwordStdin) throw new InvalidArgumentError('--password and --password-stdin are mutually exclusive');
  if (options.passwordStdin && !options.username) throw new InvalidArgumentError('Must provide --username with --password-stdin');
  let password = options.password;
  if (options.passwordStdin) {
    let text = '';
    for await (const chunk of io.stdin) text += chunk.toString();
    password = text.replace(/\r?\n$/, '');
  } else if (password !== undefined) {
    io.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  if (!options.username || password === undefined) {
    throw new InvalidArgumentError('berth login needs -u USERNAME and -p PASSWORD or --password-stdin (it does not prompt)');
  }
  const host = key === dockerHubServer ? 'docker.io' : key;
  await client.login(host, { username: options.username, password });
  await writeDockerConfig(withCredentials(await readDockerConfig(), key, { username: options.username, password }));
  io.stdout.write('Login Succeeded\n');
}

export async function logout(server: string | undefined, io: ImageIo): Promise<void> {
  const key = serverKey(server ?? dockerHubServer);
  const config = await readDockerConfig();
  if (!credentialsFor(config, key)) {
    io.stdout.write(`Not logged in to ${key}\n`);
    return;
  }
  io.stdout.write(`Removing login credentials for ${key}\n`);
  await writeDockerConfig(withCredentials(config, key, undefined));
}

const pruneWarnings = {
  dangling: 'WARNING! This will remove all dangling images.',
  all: 'WARNING! This will remove all images without at least one container associated to them.',
};

export async function pruneImages(client: BerthImagesClient, options: { all: boolean; force: boolean }, io: ImageIo): Promise<void> {
  if (!options.force) await confirmPrune(io, options.all ? pruneWarnings.all : pruneWarnings.dangling, 'image prune');
  io.stdout.write(pruneReport(await client.prune(options.all)));
}

/** A file to send, refused plainly before any call when it cannot be read. */
async function openInput(path: string): Promise<NodeJS.ReadableStream> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new NotFoundError(`cannot open ${path}: ${(error as Error).message}`);
  });
  return handle.createReadStream();
}
