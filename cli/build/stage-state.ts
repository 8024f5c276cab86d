// The state of a stage while it builds, and the metadata instructions applied to it (pure).
//
// A stage has an image (the last one a step stored; undefined while a FROM scratch stage has no
// files yet), the run config the next image gets, the history entries of metadata steps not yet
// stored (docker's empty_layer entries), the ARG values it declared, and a cache chain: a hash of
// everything before the next step (the image, then each metadata instruction as expanded), which
// the next step's cache key starts from. So a changed ENV invalidates the RUNs after it, as
// docker's cache does, although no image was stored for the ENV itself.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ImageRunConfig } from '../../runtime/images/oci-types.js';
import { DockerfileError } from './dockerfile-error.js';
import type { Instruction } from './dockerfile-parser.js';
import { argDeclarations, commandOf, exposedPorts, healthcheckOf, keyValuePairs, onLine } from './instruction-values.js';
import { expandWord, expandWords } from './variable-expansion.js';

export interface HistoryEntry {
  created_by: string;
  empty_layer?: boolean;
}

export interface StageState {
  imageId: string | undefined;
  config: ImageRunConfig;
  pendingHistory: HistoryEntry[];
  author: string;
  /** ARGs this stage declared, with their values (a --build-arg, else the default). */
  args: Map<string, string>;
  chain: string;
  escape: string;
}

export const defaultShell = ['/bin/sh', '-c'];

export function chainHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Docker's variables for expansion: the stage's ARGs, overridden by its ENV. */
export function variablesOf(state: StageState): Map<string, string> {
  const variables = new Map(state.args);
  for (const entry of state.config.Env ?? []) {
    const at = entry.indexOf('=');
    if (at > 0) variables.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return variables;
}

export function shellOf(state: StageState): string[] {
  return state.config.Shell ?? defaultShell;
}

/** A path an instruction names, made absolute against the stage's WORKDIR. */
export function inWorkdir(state: StageState, path: string): string {
  const base = state.config.WorkingDir || '/';
  const absolute = posix.isAbsolute(path) ? path : posix.join(base, path);
  // A trailing slash means "a directory": keep it, normalize would drop it.
  const normalized = posix.normalize(absolute).replace(/(.)\/$/, '$1');
  return normalized + (path.endsWith('/') && normalized !== '/' ? '/' : '');
}

function setEnv(config: ImageRunConfig, key: string, value: string): void {
  config.Env = [...(config.Env ?? []).filter((entry) => !entry.startsWith(`${key}=`)), `${key}=${value}`];
}

/** Go's %q-ish list docker writes in history (`CMD ["sh" "-c" "x"]`). */
const listText = (list: readonly string[]) => `[${list.map((item) => JSON.stringify(item)).join(' ')}]`;

/**
 * Applies a metadata instruction (anything but FROM, RUN, COPY, ADD) to the state, with docker's
 * history text; ARG takes its value from `args`.
 */
export interface ArgSources {
  /** --build-arg values. */
  given: ReadonlyMap<string, string>;
  /** The values of the ARGs before the first FROM: an ARG NAME without a default in a stage takes it. */
  globals: ReadonlyMap<string, string>;
  /** Collects the --build-arg names an ARG declared. */
  used: Set<string>;
}

export function applyMetadata(state: StageState, instruction: Instruction, args: ArgSources): void {
  const variables = variablesOf(state);
  const escapeChar = state.escape;
  const config = state.config;
  let history = instruction.original;
  switch (instruction.keyword) {
    case 'ENV':
      for (const [key, value] of keyValuePairs(instruction, variables, escapeChar)) setEnv(config, key, value);
      history = `ENV ${keyValuePairs(instruction, variables, escapeChar)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}`;
      break;
    case 'LABEL':
      for (const [key, value] of keyValuePairs(instruction, variables, escapeChar)) config.Labels = { ...config.Labels, [key]: value };
      break;
    case 'ARG':
      for (const [name, fallback] of argDeclarations(instruction, variables, escapeChar)) {
        const given = args.given.get(name);
        if (given !== undefined) args.used.add(name);
        const value = given ?? fallback ?? args.globals.get(name);
        if (value !== undefined) state.args.set(name, value);
        else state.args.delete(name);
      }
      break;
    case 'EXPOSE':
      for (const port of exposedPorts(instruction, variables, escapeChar)) config.ExposedPorts = { ...config.ExposedPorts, [port]: {} };
      history = `EXPOSE map[${Object.keys(config.ExposedPorts ?? {})
        .map((port) => `${port}:{}`)
        .join(' ')}]`;
      break;
    case 'VOLUME': {
      const paths = instruction.json ?? onLine(instruction, () => expandWords(instruction.rest, variables, escapeChar));
      for (const path of paths) {
        if (path.trim() === '') throw new DockerfileError(instruction.line, 'VOLUME names an empty path');
        config.Volumes = { ...config.Volumes, [path]: {} };
      }
      history = `VOLUME ${listText(paths)}`;
      break;
    }
    case 'USER':
      config.User = onLine(instruction, () => expandWord(instruction.rest, variables, escapeChar));
      history = `USER ${config.User}`;
      break;
    case 'WORKDIR':
      config.WorkingDir = inWorkdir(
        state,
        onLine(instruction, () => expandWord(instruction.rest, variables, escapeChar)),
      ).replace(/(.)\/$/, '$1');
      history = `WORKDIR ${config.WorkingDir}`;
      break;
    case 'CMD':
      config.Cmd = commandOf(instruction, shellOf(state));
      history = `CMD ${listText(config.Cmd)}`;
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = commandOf(instruction, shellOf(state));
      // As docker: a new ENTRYPOINT drops the CMD inherited from the base (a CMD in this stage comes after it).
      config.Cmd = null;
      history = `ENTRYPOINT ${listText(config.Entrypoint)}`;
      break;
    case 'SHELL':
      if (!instruction.json || instruction.json.length === 0) throw new DockerfileError(instruction.line, 'SHELL requires the JSON form, e.g. SHELL ["/bin/bash", "-c"]');
      config.Shell = instruction.json;
      history = `SHELL ${listText(config.Shell)}`;
      break;
    case 'STOPSIGNAL':
      config.StopSignal = onLine(instruction, () => expandWord(instruction.rest, variables, escapeChar));
      if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/i.test(config.StopSignal)) throw new DockerfileError(instruction.line, `STOPSIGNAL ${config.StopSignal}: not a signal name or number`);
      break;
    case 'HEALTHCHECK':
      config.Healthcheck = healthcheckOf(instruction);
      break;
    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), instruction.rest];
      break;
    case 'MAINTAINER':
      state.author = instruction.rest;
      break;
    default:
      throw new DockerfileError(instruction.line, `${instruction.keyword} is not a metadata instruction`);
  }
  // ARG changes no image; docker records it in history all the same (with empty_layer).
  state.pendingHistory.push({ created_by: history, empty_layer: true });
  state.chain = chainHash(state.chain, history, JSON.stringify(config), state.author, JSON.stringify([...state.args]));
}
