// Finding and reading a compose project as docker compose v2 does: the files of -f (in order) or
// COMPOSE_FILE, else compose.yaml / docker-compose.yml (with its override file) found in the
// working directory or the nearest parent; the project directory (--project-directory, else the
// first file's); the .env there (or --env-file) under the shell's variables; each file
// interpolated, then merged, then normalized; the project name from -p, COMPOSE_PROJECT_NAME,
// the file's name:, else the directory's name made lowercase with other characters dropped.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { ComposeProject } from './compose-model.js';
import { parseDotenv } from './dotenv.js';
import { interpolateTree, type Variables } from './interpolate.js';
import { isMap, mergeFiles } from './merge-files.js';
import { normalizeProject } from './normalize-project.js';

export interface ProjectFlags {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
}

export interface LoadContext {
  cwd: string;
  environment: Variables;
  warn: (message: string) => void;
}

const defaultNames = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const overrideNames = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];
const validProjectName = /^[a-z0-9][a-z0-9_-]*$/;

const readText = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

function findDefaultFiles(cwd: string): string[] {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const found = defaultNames.find((name) => existsSync(join(dir, name)));
    if (found) {
      const override = overrideNames.find((name) => existsSync(join(dir, name)));
      return [join(dir, found), ...(override ? [join(dir, override)] : [])];
    }
    if (dirname(dir) === dir) break;
  }
  throw new NotFoundError(`no configuration file provided: not found (looked for ${defaultNames.join(', ')} in ${cwd} and its parents; -f names one)`);
}

/** docker compose's normalization of a directory name into a project name. */
export function projectNameFromDirectory(directory: string): string {
  return basename(directory)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

function parseYaml(path: string): unknown {
  const content = readText(path);
  if (content === undefined) throw new NotFoundError(`compose file ${path} not found`);
  try {
    return yaml.load(content, { filename: path });
  } catch (error) {
    throw new InvalidArgumentError(`${path}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function loadProject(flags: ProjectFlags, context: LoadContext): ComposeProject {
  const fromEnvironment = context.environment['COMPOSE_FILE']?.split(':').filter(Boolean) ?? [];
  const files = (flags.file.length > 0 ? flags.file : fromEnvironment.length > 0 ? fromEnvironment : findDefaultFiles(context.cwd)).map((file) => resolve(context.cwd, file));
  const projectDir = resolve(context.cwd, flags.projectDirectory ?? dirname(files[0] ?? context.cwd));
  // The shell's variables win over .env's, as in docker compose.
  const envFiles = flags.envFile.length > 0 ? flags.envFile.map((file) => resolve(context.cwd, file)) : [join(projectDir, '.env')];
  let dotenv: Record<string, string> = {};
  for (const file of envFiles) {
    const content = readText(file);
    if (content === undefined) {
      if (flags.envFile.length > 0) throw new NotFoundError(`--env-file ${file} not found`);
      continue;
    }
    dotenv = { ...dotenv, ...parseDotenv(content, file, { ...dotenv, ...context.environment }) };
  }
  const variables: Variables = { ...dotenv, ...context.environment };
  const warned = new Set<string>();
  const warnUnset = (name: string) => {
    if (warned.has(name)) return;
    warned.add(name);
    context.warn(`The "${name}" variable is not set. Defaulting to a blank string.`);
  };
  const parsed = files.map((path) => ({ path, content: interpolateTree(parseYaml(path), '', { variables, warnUnset }) }));
  const merged = mergeFiles(parsed);
  if (merged['version'] !== undefined) context.warn('the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion');
  const fileName = typeof merged['name'] === 'string' ? merged['name'] : undefined;
  const given = flags.projectName ?? variables['COMPOSE_PROJECT_NAME'] ?? fileName;
  const name = given ?? projectNameFromDirectory(projectDir);
  if (!validProjectName.test(name)) {
    throw new InvalidArgumentError(
      `invalid project name "${name}": use lowercase letters, digits, dashes and underscores, starting with a letter or digit${given ? '' : ' (the directory name gave it; pass -p)'}`,
    );
  }
  if (!isMap(merged)) throw new InvalidArgumentError('the compose file is empty');
  return normalizeProject(merged, name, { projectDir, homeDir: homedir(), variables, readText, configFiles: files });
}
