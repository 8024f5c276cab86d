// The second pass: each logical line as an instruction (keyword, --flags, the JSON exec form or the
// raw shell-form text), then the file split into its stages. Variables are not expanded here:
// that needs each stage's ARG and ENV values, known only while building (build-stage-state.ts).
// Pure; every refusal names the line.
import { DockerfileError } from './dockerfile-error.js';
import { splitDockerfile } from './dockerfile-lines.js';

export interface Instruction {
  line: number;
  keyword: string;
  /** The whole logical line, as docker prints it in its progress and keys its cache. */
  original: string;
  /** --name=value flags before the arguments; a bare --name is "true". */
  flags: ReadonlyMap<string, string>;
  /** The arguments after the flags, untouched. */
  rest: string;
  /** The exec form, when the arguments are a JSON array of strings. */
  json?: string[];
}

export interface Stage {
  index: number;
  from: Instruction;
  /** The AS name, lower-cased as docker compares them; undefined for an unnamed stage. */
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  escape: '\\' | '`';
  /** ARGs before the first FROM: usable in FROM lines only, unless a stage declares them again. */
  globalArgs: Instruction[];
  stages: Stage[];
}

/** The flags each instruction accepts; anything else is refused with the line number. */
const allowedFlags: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod'],
  ADD: ['chown', 'chmod'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

const keywords = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'MAINTAINER',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/** Instructions whose arguments may be a JSON array (the exec form). */
const jsonForms = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME', 'HEALTHCHECK']);

function parseJsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    // Docker falls back to the shell form when the text is not an array of strings.
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  } catch {
    return undefined;
  }
  return undefined;
}

function splitFlags(line: number, keyword: string, text: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text;
  for (;;) {
    const match = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!match?.[1]) break;
    const name = match[1];
    if (!(allowedFlags[keyword] ?? []).includes(name)) {
      const known = allowedFlags[keyword];
      throw new DockerfileError(
        line,
        `${keyword} --${name}: berth does not support this flag${known ? ` (${keyword} takes ${known.map((flag) => `--${flag}`).join(', ')})` : ` (${keyword} takes no flags)`}`,
      );
    }
    if (flags.has(name)) throw new DockerfileError(line, `${keyword} --${name} is given twice`);
    flags.set(name, match[2] ?? 'true');
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

export function parseInstruction(line: number, text: string): Instruction {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text);
  const word = match?.[1] ?? '';
  const keyword = word.toUpperCase();
  if (!keywords.has(keyword)) throw new DockerfileError(line, `unknown instruction: ${word}`);
  const { flags, rest } = splitFlags(line, keyword, (match?.[2] ?? '').trim());
  const json = jsonForms.has(keyword) ? parseJsonArray(rest) : undefined;
  // BuildKit's heredocs (`RUN <<EOF` with the body on the lines after) would otherwise parse the body as instructions.
  if (!json && ['RUN', 'COPY', 'ADD'].includes(keyword) && /(^|\s)<<-?(["']?)[A-Za-z_]\w*\2(\s|$)/.test(rest)) {
    throw new DockerfileError(line, `${keyword} with a heredoc (<<WORD): berth does not support heredocs; put the script in a file of the context and COPY it`);
  }
  if (keyword === 'ONBUILD') {
    const trigger = parseInstruction(line, rest);
    if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(trigger.keyword)) throw new DockerfileError(line, `ONBUILD ${trigger.keyword} is not allowed`);
  } else if (rest === '' && keyword !== 'RUN') {
    throw new DockerfileError(line, `${keyword} requires at least one argument`);
  }
  return { line, keyword, original: `${keyword} ${text.slice(word.length).trim()}`.trim(), flags, rest, ...(json ? { json } : {}) };
}

/** The stage's `AS name`, checked as docker checks it. */
function stageName(from: Instruction): string | undefined {
  const words = from.rest.split(/\s+/);
  if (words.length === 1) return undefined;
  if (words.length !== 3 || words[1]?.toLowerCase() !== 'as') throw new DockerfileError(from.line, `FROM takes an image and an optional "AS name", not ${JSON.stringify(from.rest)}`);
  const name = (words[2] ?? '').toLowerCase();
  if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw new DockerfileError(from.line, `invalid stage name ${JSON.stringify(words[2])}: use letters, digits, -, _ and ., starting with a letter`);
  return name;
}

export function parseDockerfile(source: string): Dockerfile {
  const { directives, escapeChar, lines } = splitDockerfile(source);
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const { line, text } of lines) {
    const instruction = parseInstruction(line, text);
    const current = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const name = stageName(instruction);
      if (name !== undefined && stages.some((stage) => stage.name === name)) throw new DockerfileError(line, `the stage name ${JSON.stringify(name)} is used twice`);
      stages.push({ index: stages.length, from: instruction, ...(name !== undefined ? { name } : {}), instructions: [] });
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      globalArgs.push(instruction);
    } else {
      throw new DockerfileError(line, `${instruction.keyword} before the first FROM: only ARG may come before FROM`);
    }
  }
  if (stages.length === 0) throw new DockerfileError(lines.at(-1)?.line ?? 1, 'the Dockerfile has no FROM instruction');
  return { directives, escape: escapeChar, globalArgs, stages };
}

/** The stages to build for `--target` (the last one without): that stage and, found later, what it copies from. */
export function targetStage(dockerfile: Dockerfile, target: string | undefined): Stage {
  if (target === undefined) return dockerfile.stages.at(-1) as Stage;
  const stage = dockerfile.stages.find((candidate) => candidate.name === target.toLowerCase());
  if (!stage) {
    const names = dockerfile.stages.flatMap((candidate) => (candidate.name ? [candidate.name] : []));
    throw new DockerfileError(1, `--target ${target}: no stage has that name${names.length > 0 ? ` (the stages: ${names.join(', ')})` : ' (no stage is named with AS)'}`);
  }
  return stage;
}
