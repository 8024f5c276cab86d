// COPY and ADD: files from the build context (or, with --from, from an earlier stage or another
// image) into the stage's image as one layer. The cache key is the stage's chain, the instruction
// as expanded and a digest of every record copied (names, modes, owners, link targets, contents),
// so a changed file misses and an unchanged one hits without any container being made.
//
// On a miss, onto an image: a created (never started) container of the stage's image takes the
// tar through berth.v1.Containers/CopyTo, whose extraction never follows a symlink out of the
// container's root, and its changes are committed like a RUN's. Onto FROM scratch the tar is the
// layer itself. --from reads the other image through CopyFrom, which archives a symlink as the
// symlink it is (a link to /etc/shadow is copied as that link, never as the host's file).
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';
import { cachedStep, continueFrom, inVertex, storeStep, type BuildSession } from './build-session.js';
import type { Vertex } from './build-progress.js';
import { packRecords } from './copy-archive.js';
import { resolveOwner } from './copy-owner.js';
import { parseChmod, recordsDigest, withOwnerAndMode } from './copy-records.js';
import { archiveGroup, contextGroups, placeGroups, type SourceGroup } from './copy-sources.js';
import { DockerfileError } from './dockerfile-error.js';
import type { Instruction } from './dockerfile-parser.js';
import { onLine } from './instruction-values.js';
import { hasWildcard } from './path-patterns.js';
import { chainHash, inWorkdir, variablesOf, type StageState } from './stage-state.js';
import { withStepContainer } from './step-container.js';
import { expandWord, expandWords } from './variable-expansion.js';
import { fetchUrlGroup } from './add-url.js';

const isDirectoryMode = (mode: number) => (mode & 0o170000) === 0o040000;

async function fromGroups(build: BuildSession, image: string, sources: readonly string[], instruction: Instruction): Promise<SourceGroup[]> {
  if (sources.some(hasWildcard)) throw new DockerfileError(instruction.line, 'COPY --from with wildcards: berth copies named paths from another stage or image; name each one');
  return withStepContainer(
    build.session,
    { image, command: ['/bin/true'], env: [], logRoot: build.logRoot },
    async (container) => {
      const groups: SourceGroup[] = [];
      for (const source of sources) {
        const path = posix.join('/', source);
        const { stat, tar } = await build.containers.copyFrom({ container: container.id, path, followLink: false });
        groups.push(await archiveGroup(tar, isDirectoryMode(stat.mode)));
      }
      return groups;
    },
    build.warn,
  );
}

/** Whether the destination is a directory: said so by the Dockerfile, implied by the sources, or already one in the image. */
async function destIsDirectory(build: BuildSession, container: string | undefined, dest: string, groups: readonly SourceGroup[], wildcard: boolean): Promise<boolean> {
  if (dest.endsWith('/') || groups.length > 1 || wildcard) return true;
  if (groups.every((group) => group.kind === 'contents') || container === undefined) return false;
  const stat = await build.containers.statPath(container, dest).catch(() => undefined);
  return stat !== undefined && isDirectoryMode(stat.mode);
}

async function readImageFile(build: BuildSession, container: string, path: string): Promise<string | undefined> {
  try {
    const { tar } = await build.containers.copyFrom({ container, path, followLink: true });
    const { records } = await archiveGroup(tar, false);
    return records[0]?.content?.toString('utf8');
  } catch {
    return undefined;
  }
}

export async function copyStep(build: BuildSession, state: StageState, instruction: Instruction, vertex: Vertex): Promise<void> {
  const variables = variablesOf(state);
  const words = instruction.json ?? onLine(instruction, () => expandWords(instruction.rest, variables, state.escape));
  if (words.length < 2) throw new DockerfileError(instruction.line, `${instruction.keyword} needs at least one source and a destination`);
  const sources = words.slice(0, -1);
  const rawDest = words.at(-1) as string;
  // "." and "dir/." name a directory as surely as a trailing slash does (COPY app.txt . with a WORKDIR).
  const dest = inWorkdir(state, rawDest) + (/(^|\/)\.$/.test(rawDest) && inWorkdir(state, rawDest) !== '/' ? '/' : '');
  const from = instruction.flags.get('from');
  const chown = instruction.flags.has('chown') ? onLine(instruction, () => expandWord(instruction.flags.get('chown') as string, variables, state.escape)) : undefined;
  const chmod = instruction.flags.has('chmod') ? parseChmod(instruction.flags.get('chmod') as string) : undefined;
  const isAdd = instruction.keyword === 'ADD';

  const { groups, wildcard, fromId } = await onLineAsync(instruction, async () => {
    if (from !== undefined) {
      const fromId = await build.imageFor(onLine(instruction, () => expandWord(from, variables, state.escape)));
      return { groups: await fromGroups(build, fromId, sources, instruction), wildcard: false, fromId };
    }
    const urls = isAdd ? sources.filter((source) => /^https?:\/\//i.test(source)) : [];
    const local = await contextGroups(
      build.context,
      sources.filter((source) => !urls.includes(source)),
      isAdd,
    );
    const remote = await Promise.all(urls.map(fetchUrlGroup));
    return { groups: [...local.groups, ...remote], wildcard: local.wildcard, fromId: '' };
  });
  const recordsKey = recordsDigest(groups.flatMap((group) => group.records.map((record) => ({ ...record, name: `${group.kind}:${record.name}` }))));
  const key = chainHash(state.chain, instruction.keyword, JSON.stringify([sources, dest, fromId, chown ?? '', chmod ?? '']), recordsKey);
  const cached = await cachedStep(build, key);
  if (cached) {
    continueFrom(state, cached);
    vertex.cached();
    return;
  }
  const createdBy = `${instruction.keyword} ${from !== undefined ? `--from=${from} ` : ''}${[...sources, words.at(-1)].join(' ')} # buildkit`;
  await inVertex(vertex, async () => {
    const image = state.imageId;
    if (image === undefined) {
      const owner = chown === undefined ? undefined : await resolveOwner(chown, async () => ({ passwd: undefined, group: undefined }));
      const records = withOwnerAndMode(placeGroups(groups, dest, await destIsDirectory(build, undefined, dest, groups, wildcard)), owner, chmod);
      await storeStep(build, state, key, { created_by: createdBy }, { tar: packRecords(records, { withParents: true }) });
      return;
    }
    await withStepContainer(
      build.session,
      { image, command: ['/bin/true'], env: [], logRoot: build.logRoot },
      async (container) => {
        const owner =
          chown === undefined
            ? undefined
            : await resolveOwner(chown, async () => ({ passwd: await readImageFile(build, container.id, '/etc/passwd'), group: await readImageFile(build, container.id, '/etc/group') }));
        const records = withOwnerAndMode(placeGroups(groups, dest, await destIsDirectory(build, container.id, dest, groups, wildcard)), owner, chmod);
        await build.containers.copyTo({ container: container.id, path: '/', copyUidGid: true }, packRecords(records, { withParents: false }));
        await storeStep(build, state, key, { created_by: createdBy }, { container: container.id });
      },
      build.warn,
    );
  });
}

/** Names the line in a failure to find or read the sources. */
async function onLineAsync<T>(instruction: Instruction, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DockerfileError || !(error instanceof Error)) throw error;
    throw new InvalidArgumentError(`Dockerfile:${instruction.line}: ${instruction.keyword}: ${error.message}`, { cause: error });
  }
}
