// Compose's variable substitution, as the compose spec defines it: $VAR and ${VAR}, with
// ${VAR:-default} / ${VAR-default} (unset-or-empty / unset), ${VAR:?message} / ${VAR?message}
// (an error), ${VAR:+other} / ${VAR+other}, $$ for a literal $, and defaults that hold further
// substitutions. It applies to every string value of the file (never to keys), before the files
// are merged, and the errors name the key where the bad text is. Pure.
import { InvalidArgumentError } from '../../common/errors.js';

export type Variables = Readonly<Record<string, string | undefined>>;

export interface InterpolationContext {
  variables: Variables;
  /** Called once per unset variable used without a default (docker warns and uses ""). */
  warnUnset: (name: string) => void;
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The index of the `}` that closes the `${` opened just before `from`, braces nested. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function substituteBraced(body: string, where: string, context: InterpolationContext): string {
  const name = namePattern.exec(body)?.[0];
  if (!name) throw new InvalidArgumentError(`invalid interpolation format for ${where}: "\${${body}}": a variable name starts with a letter or _`);
  const value = context.variables[name];
  const rest = body.slice(name.length);
  if (rest === '') {
    if (value === undefined) context.warnUnset(name);
    return value ?? '';
  }
  const operator = /^(:?[-?+])/.exec(rest)?.[1];
  if (!operator) throw new InvalidArgumentError(`invalid interpolation format for ${where}: "\${${body}}": use \${VAR}, \${VAR:-default}, \${VAR:?error} or \${VAR:+other}`);
  const argument = () => interpolateString(rest.slice(operator.length), where, context);
  // With a colon, an empty value counts as unset.
  const isSet = operator.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
  switch (operator.at(-1)) {
    case '-':
      return isSet ? (value ?? '') : argument();
    case '+':
      return isSet ? argument() : '';
    default: {
      if (isSet) return value ?? '';
      const message = argument();
      throw new InvalidArgumentError(`required variable ${name} is missing a value${message ? `: ${message}` : ''} (in ${where})`);
    }
  }
}

/** `text` with its variables substituted; `where` names the key for errors ("services.web.image"). */
export function interpolateString(text: string, where: string, context: InterpolationContext): string {
  let result = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) return result + text.slice(i);
    result += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      result += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) throw new InvalidArgumentError(`invalid interpolation format for ${where}: "${text}": a \${ is never closed`);
      result += substituteBraced(text.slice(dollar + 2, end), where, context);
      i = end + 1;
    } else {
      const name = namePattern.exec(text.slice(dollar + 1))?.[0];
      // A lone $ (before a digit, a space, the end) stays as written, as compose does.
      if (!name) {
        result += '$';
        i = dollar + 1;
        continue;
      }
      const value = context.variables[name];
      if (value === undefined) context.warnUnset(name);
      result += value ?? '';
      i = dollar + 1 + name.length;
    }
  }
  return result;
}

/** Every string value below `value` substituted; maps and lists are copied, keys left alone. */
export function interpolateTree(value: unknown, where: string, context: InterpolationContext): unknown {
  if (typeof value === 'string') return interpolateString(value, where, context);
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, `${where}[${index}]`, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateTree(item, where === '' ? key : `${where}.${key}`, context)]));
  }
  return value;
}
