// Docker's variable substitution and word splitting (cli/build/variable-expansion.ts) and the
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables (${NAME}) are what these tests are about
// instruction values read with it (cli/build/instruction-values.ts).
import { describe, expect, it } from 'vitest';
import { parseInstruction } from '../../../cli/build/dockerfile-parser.js';
import { argDeclarations, exposedPorts, healthcheckOf, keyValuePairs, parseDuration } from '../../../cli/build/instruction-values.js';
import { expandWord, expandWords } from '../../../cli/build/variable-expansion.js';

const variables = new Map([
  ['NAME', 'web'],
  ['EMPTY', ''],
  ['PATH', '/usr/bin'],
]);

describe('expandWord', () => {
  it.each([
    ['$NAME', 'web'],
    ['${NAME}-x', 'web-x'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${NAME:+set}', 'set'],
    ['${MISSING:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING:-$NAME}', 'web'],
    ["'$NAME'", '$NAME'],
    ['"$NAME and ${PATH}"', 'web and /usr/bin'],
    ['\\$NAME', '$NAME'],
    ['cost $5', 'cost $5'],
    ['$MISSING', ''],
  ])('%s expands to %j', (text, expected) => {
    expect(expandWord(text, variables)).toBe(expected);
  });

  it('uses the escape directive`s character', () => {
    expect(expandWord('`$NAME', variables, '`')).toBe('$NAME');
  });

  it('says what is wrong with a required variable, an unclosed brace and an unknown modifier', () => {
    expect(() => expandWord('${MISSING:?set it with --build-arg}', variables)).toThrow('MISSING: set it with --build-arg');
    expect(() => expandWord('${NAME', variables)).toThrow(/missing its closing }/);
    expect(() => expandWord('${NAME%%x}', variables)).toThrow(/berth knows the modifiers/);
  });
});

describe('expandWords', () => {
  it('splits at unquoted whitespace only', () => {
    expect(expandWords('a "b c" \'d e\' ${NAME}', variables)).toEqual(['a', 'b c', 'd e', 'web']);
  });
});

describe('instruction values', () => {
  it('reads ENV pairs in both forms, with quotes and variables', () => {
    expect(keyValuePairs(parseInstruction(1, 'ENV A=1 B="two words" C=${NAME}'), variables, '\\')).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'web'],
    ]);
    expect(keyValuePairs(parseInstruction(1, 'ENV GREETING hello  world'), variables, '\\')).toEqual([['GREETING', 'hello  world']]);
    expect(() => keyValuePairs(parseInstruction(4, 'LABEL single'), variables, '\\')).toThrow(/^Dockerfile:4: LABEL needs key=value pairs/);
  });

  it('reads ARG declarations with and without defaults', () => {
    expect(argDeclarations(parseInstruction(1, 'ARG A B=2'), variables, '\\')).toEqual([
      ['A', undefined],
      ['B', '2'],
    ]);
    expect(() => argDeclarations(parseInstruction(3, 'ARG 1x'), variables, '\\')).toThrow(/^Dockerfile:3: ARG "1x" is not a valid name/);
  });

  it('reads EXPOSE as docker keys, ranges spelled out', () => {
    expect(exposedPorts(parseInstruction(1, 'EXPOSE 80 53/UDP 8000-8001'), variables, '\\')).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    expect(() => exposedPorts(parseInstruction(2, 'EXPOSE http'), variables, '\\')).toThrow(/^Dockerfile:2: EXPOSE "http"/);
  });

  it('reads HEALTHCHECK with its durations in nanoseconds', () => {
    expect(healthcheckOf(parseInstruction(1, 'HEALTHCHECK --interval=1m30s --retries=3 CMD wget -q localhost'))).toEqual({
      Test: ['CMD-SHELL', 'wget -q localhost'],
      Interval: 90e9,
      Retries: 3,
    });
    expect(healthcheckOf(parseInstruction(1, 'HEALTHCHECK CMD ["true"]'))).toEqual({ Test: ['CMD', 'true'] });
    expect(healthcheckOf(parseInstruction(1, 'HEALTHCHECK NONE'))).toEqual({ Test: ['NONE'] });
    expect(parseDuration('500ms', 1, 'timeout')).toBe(5e8);
    expect(() => parseDuration('5 minutes', 7, 'timeout')).toThrow(/^Dockerfile:7: HEALTHCHECK --timeout=5 minutes: not a duration/);
  });
});
