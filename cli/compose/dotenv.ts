// The .env file and env_file: files, in the format docker compose reads: KEY=VALUE lines, `#`
// comments, an optional `export ` prefix, single quotes taken literally, double quotes with \n,
// \t, \" and \\ escapes, unquoted values ending at " #", and ${VAR} substituted in unquoted and
// double-quoted values from the lines above and the given variables. A line without = names a
// variable taken from the given variables (dropped when unset). Pure.
import { InvalidArgumentError } from '../../common/errors.js';
import { interpolateString, type Variables } from './interpolate.js';

const keyPattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', $: '$' };

function doubleQuoted(text: string): string {
  return text.replace(/\\(.)/g, (whole, character: string) => escapes[character] ?? whole);
}

/** The variables `content` (the text of `file`) defines, in order. */
export function parseDotenv(content: string, file: string, variables: Variables): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const assignment = line.replace(/^export\s+/, '');
    const equals = assignment.indexOf('=');
    const key = (equals < 0 ? assignment : assignment.slice(0, equals)).trim();
    if (!keyPattern.test(key)) throw new InvalidArgumentError(`${file} line ${index + 1}: "${key}" is not a variable name`);
    const lookup = { ...variables, ...result };
    if (equals < 0) {
      if (lookup[key] !== undefined) result[key] = lookup[key];
      continue;
    }
    let raw = assignment.slice(equals + 1).trim();
    const quote = raw[0];
    const context = { variables: lookup, warnUnset: () => undefined };
    const where = `${file} line ${index + 1}`;
    if (quote === "'" || quote === '"') {
      // A quoted value may run over several lines, to its closing quote.
      while (!new RegExp(`^${quote}(?:\\\\.|[^${quote}\\\\])*${quote}`, 's').test(raw) && index + 1 < lines.length) {
        index += 1;
        raw += `\n${lines[index] ?? ''}`;
      }
      const match = new RegExp(`^${quote}((?:\\\\.|[^${quote}\\\\])*)${quote}`, 's').exec(raw);
      if (!match) throw new InvalidArgumentError(`${where}: the ${quote === '"' ? 'double' : 'single'} quote of ${key} is never closed`);
      const inner = match[1] ?? '';
      result[key] = quote === "'" ? inner : interpolateString(doubleQuoted(inner), where, context);
    } else {
      result[key] = interpolateString(raw.replace(/\s+#.*$/, ''), where, context);
    }
  }
  return result;
}
