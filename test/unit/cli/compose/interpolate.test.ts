// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation is written ${VAR}, in plain strings
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../../cli/compose/dotenv.js';
import { interpolateString, interpolateTree } from '../../../../cli/compose/interpolate.js';

const variables = { SET: 'value', EMPTY: '', PORT: '8080' };
const run = (text: string) => {
  const unset: string[] = [];
  return { result: interpolateString(text, 'services.web.image', { variables, warnUnset: (name) => unset.push(name) }), unset };
};

describe('compose interpolation', () => {
  it.each([
    ['${SET}', 'value'],
    ['$SET/x', 'value/x'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${UNSET-fallback}', 'fallback'],
    ['${SET:+other}', 'other'],
    ['${EMPTY:+other}', ''],
    ['${EMPTY+other}', 'other'],
    ['${UNSET:-${SET}-nested}', 'value-nested'],
    ['$$SET costs $$5', '$SET costs $5'],
    ['price: 5$', 'price: 5$'],
    ['127.0.0.1:${PORT}:80', '127.0.0.1:8080:80'],
  ])('substitutes %s', (text, expected) => {
    expect(run(text).result).toBe(expected);
  });

  it('substitutes an unset variable without a default with "" and warns once per use', () => {
    expect(run('a${UNSET}b$UNSET')).toEqual({ result: 'ab', unset: ['UNSET', 'UNSET'] });
  });

  it.each([
    ['${UNSET:?needs a value}', /required variable UNSET is missing a value: needs a value \(in services\.web\.image\)/],
    ['${EMPTY:?}', /required variable EMPTY is missing a value \(in services\.web\.image\)/],
    ['${SET', /invalid interpolation format for services\.web\.image: "\$\{SET": a \$\{ is never closed/],
    ['${1BAD}', /invalid interpolation format for services\.web\.image/],
    ['${SET*x}', /use \$\{VAR\}, \$\{VAR:-default\}/],
  ])('refuses %s, naming the key', (text, message) => {
    expect(() => run(text)).toThrow(message);
  });

  it('substitutes values below maps and lists, never keys, and names the key in errors', () => {
    const context = { variables, warnUnset: () => undefined };
    expect(interpolateTree({ services: { web: { environment: { $SET: '$SET' }, ports: ['${PORT}:80', 80] } } }, '', context)).toEqual({
      services: { web: { environment: { $SET: 'value' }, ports: ['8080:80', 80] } },
    });
    expect(() => interpolateTree({ services: { web: { ports: ['${X:?no port}'] } } }, '', context)).toThrow(/in services\.web\.ports\[0\]/);
  });
});

describe('.env and env_file files', () => {
  it('reads the forms docker compose reads', () => {
    const content = [
      '# a comment',
      'PLAIN=value # trailing comment',
      'export EXPORTED=yes',
      "SINGLE='no $SET ${SET} \\n'",
      'DOUBLE="tab\\there ${SET}"',
      'MULTI="line one',
      'line two"',
      'FROM_ABOVE=${PLAIN}-x',
      'EMPTY=',
      'PASSED',
      'NOT_PASSED',
      '',
    ].join('\n');
    expect(parseDotenv(content, '.env', { SET: 'v', PASSED: 'from shell' })).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      SINGLE: 'no $SET ${SET} \\n',
      DOUBLE: 'tab\there v',
      MULTI: 'line one\nline two',
      FROM_ABOVE: 'value-x',
      EMPTY: '',
      PASSED: 'from shell',
    });
  });

  it.each([
    ['1BAD=x', /\.env line 1: "1BAD" is not a variable name/],
    ['OPEN="never closed', /\.env line 1: the double quote of OPEN is never closed/],
  ])('refuses %s', (content, message) => {
    expect(() => parseDotenv(content, '.env', {})).toThrow(message);
  });
});
