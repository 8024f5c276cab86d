// The Dockerfile parser (cli/build/dockerfile-lines.ts, dockerfile-parser.ts): docker's rules for
// directives, comments, continuations, the exec and shell forms, flags and stages, and the line
// numbers its refusals name.
import { describe, expect, it } from 'vitest';
import { splitDockerfile } from '../../../cli/build/dockerfile-lines.js';
import { parseDockerfile, targetStage } from '../../../cli/build/dockerfile-parser.js';

describe('splitDockerfile', () => {
  it('joins continued lines, drops comments inside them, and numbers each instruction by its first line', () => {
    const { lines } = splitDockerfile('FROM busybox\n\n# a comment\nRUN echo a \\\n  # dropped\n\n  && echo b\nCMD ["sh"]\n');
    expect(lines).toEqual([
      { line: 1, text: 'FROM busybox' },
      { line: 4, text: 'RUN echo a   && echo b' },
      { line: 8, text: 'CMD ["sh"]' },
    ]);
  });

  it('reads parser directives only at the top, and the escape directive changes the continuation character', () => {
    const parsed = splitDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo a `\n b\n# escape=\\\n');
    expect(parsed.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '`' });
    expect(parsed.escapeChar).toBe('`');
    expect(parsed.lines.map((line) => line.text)).toEqual(['FROM busybox', 'RUN echo a  b']);
    expect(splitDockerfile('FROM x\n# escape=`\n').directives).toEqual({});
  });

  it('keeps an escaped escape character at the end of a line as a literal one', () => {
    expect(splitDockerfile('FROM x\nRUN echo \\\\\nCMD y\n').lines.map((line) => line.text)).toEqual(['FROM x', 'RUN echo \\\\', 'CMD y']);
  });

  it('refuses a bad escape directive and a directive given twice', () => {
    expect(() => splitDockerfile('# escape=x\nFROM a')).toThrow(/Dockerfile:1: the escape directive must be/);
    expect(() => splitDockerfile('# syntax=a\n# syntax=b\nFROM a')).toThrow(/Dockerfile:2: the parser directive syntax is given twice/);
  });
});

describe('parseDockerfile', () => {
  it('splits stages with their names, keeps ARGs before the first FROM apart, and reads the exec form', () => {
    const file = parseDockerfile('ARG BASE=busybox\nFROM $BASE AS Build\nRUN ["sh", "-c", "echo hi"]\nRUN echo [not json\nFROM scratch\nCOPY --from=build /out /out\n');
    expect(file.globalArgs.map((arg) => arg.rest)).toEqual(['BASE=busybox']);
    expect(file.stages.map((stage) => stage.name)).toEqual(['build', undefined]);
    const [execForm, shellForm] = file.stages[0]?.instructions ?? [];
    expect(execForm?.json).toEqual(['sh', '-c', 'echo hi']);
    expect(shellForm?.json).toBeUndefined();
    expect(shellForm?.rest).toBe('echo [not json');
    const copy = file.stages[1]?.instructions[0];
    expect(copy?.flags.get('from')).toBe('build');
    expect(copy?.rest).toBe('/out /out');
    expect(targetStage(file, 'BUILD').index).toBe(0);
    expect(targetStage(file, undefined).index).toBe(1);
  });

  it('takes keywords in any case and writes them upper-case in the instruction text', () => {
    const file = parseDockerfile('from busybox\nrun echo hi\n');
    expect(file.stages[0]?.instructions[0]?.original).toBe('RUN echo hi');
  });

  it.each([
    ['an unknown instruction', 'FROM a\nCOPPY x y\n', /^Dockerfile:2: unknown instruction: COPPY$/],
    ['an instruction before FROM', 'RUN echo\nFROM a\n', /^Dockerfile:1: RUN before the first FROM/],
    ['no FROM at all', 'ARG X\n', /Dockerfile:1: the Dockerfile has no FROM instruction/],
    ['an unsupported flag', 'FROM a\nRUN --mount=type=cache,target=/x echo\n', /^Dockerfile:2: RUN --mount: berth does not support this flag \(RUN takes no flags\)/],
    ['a flag given twice', 'FROM a\nCOPY --chown=1 --chown=2 a b\n', /^Dockerfile:2: COPY --chown is given twice/],
    ['a missing argument', 'FROM a\n\nWORKDIR\n', /^Dockerfile:3: WORKDIR requires at least one argument/],
    ['a bad AS clause', 'FROM a AS\n', /^Dockerfile:1: FROM takes an image and an optional "AS name"/],
    ['a stage name used twice', 'FROM a AS x\nFROM b AS x\n', /^Dockerfile:2: the stage name "x" is used twice/],
    ['a heredoc', 'FROM a\nRUN <<EOF\necho hi\nEOF\n', /^Dockerfile:2: RUN with a heredoc \(<<WORD\): berth does not support heredocs/],
    ['ONBUILD ONBUILD', 'FROM a\nONBUILD ONBUILD RUN x\n', /^Dockerfile:2: ONBUILD ONBUILD is not allowed/],
  ])('refuses %s with its line number', (_name, source, expected) => {
    expect(() => parseDockerfile(source)).toThrow(expected);
  });

  it('refuses a --target no stage has, listing the stages', () => {
    expect(() => targetStage(parseDockerfile('FROM a AS one\nFROM b AS two\n'), 'three')).toThrow(/--target three: no stage has that name \(the stages: one, two\)/);
  });
});
