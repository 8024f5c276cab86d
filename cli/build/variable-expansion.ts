// Docker's variable substitution and word splitting for the instructions that get it (FROM, COPY,
// ADD, ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL): `$VAR`, `${VAR}`,
// `${VAR:-word}` / `${VAR-word}` (a default), `${VAR:+word}` / `${VAR+word}` (an alternative),
// `${VAR:?message}` (required). Quotes work as in a shell: nothing expands inside '...', "..."
// keeps spaces and expands; the escape character makes the next character literal. RUN, CMD and
// ENTRYPOINT are left to the container's shell, as docker does. Pure.

export type Variables = ReadonlyMap<string, string>;

export class ExpansionError extends Error {}

class Scanner {
  index = 0;
  constructor(
    readonly text: string,
    readonly escapeChar: string,
    readonly variables: Variables,
  ) {}

  peek(offset = 0): string | undefined {
    return this.text[this.index + offset];
  }

  next(): string | undefined {
    const char = this.text[this.index];
    this.index += 1;
    return char;
  }

  done(): boolean {
    return this.index >= this.text.length;
  }
}

const namePattern = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** `${...}`'s word: everything up to the matching `}`, expanded in turn. */
function readBracedWord(scanner: Scanner): string {
  let word = '';
  while (!scanner.done() && scanner.peek() !== '}') {
    const char = scanner.next() as string;
    if (char === scanner.escapeChar && !scanner.done()) word += scanner.next();
    else if (char === '$') word += readVariable(scanner);
    else word += char;
  }
  if (scanner.next() !== '}') throw new ExpansionError(`a \${ is missing its closing } in ${JSON.stringify(scanner.text)}`);
  return word;
}

/** After a `$`: the variable's value (or the `$` itself when no name follows). */
function readVariable(scanner: Scanner): string {
  if (scanner.peek() !== '{') {
    const name = namePattern.exec(scanner.text.slice(scanner.index))?.[0];
    if (!name) return '$';
    scanner.index += name.length;
    return scanner.variables.get(name) ?? '';
  }
  scanner.next();
  const name = namePattern.exec(scanner.text.slice(scanner.index))?.[0];
  if (!name) throw new ExpansionError(`a \${} in ${JSON.stringify(scanner.text)} has no variable name`);
  scanner.index += name.length;
  const value = scanner.variables.get(name);
  if (scanner.peek() === '}') {
    scanner.next();
    return value ?? '';
  }
  const colon = scanner.peek() === ':';
  if (colon) scanner.next();
  const operator = scanner.next();
  const word = readBracedWord(scanner);
  // With the colon an empty value counts as unset, as in a POSIX shell.
  const set = value !== undefined && (!colon || value !== '');
  switch (operator) {
    case '-':
      return set ? (value as string) : word;
    case '+':
      return set ? word : '';
    case '?':
      if (!set) throw new ExpansionError(`${name}: ${word === '' ? 'is not set' : word}`);
      return value as string;
    default:
      throw new ExpansionError(`\${${name}${colon ? ':' : ''}${operator ?? ''}...}: berth knows the modifiers :- - :+ + :? ?`);
  }
}

/**
 * Expands and splits `text` into words at unquoted whitespace (`split`), or keeps it one word.
 * Quotes are removed either way.
 */
function processText(text: string, variables: Variables, escapeChar: string, split: boolean): string[] {
  const scanner = new Scanner(text, escapeChar, variables);
  const words: string[] = [];
  let word = '';
  let inWord = false;
  while (!scanner.done()) {
    const char = scanner.next() as string;
    if (split && /\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === escapeChar) {
      if (!scanner.done()) word += scanner.next();
      else word += char;
    } else if (char === "'") {
      const end = text.indexOf("'", scanner.index);
      if (end < 0) throw new ExpansionError(`an unmatched ' in ${JSON.stringify(text)}`);
      word += text.slice(scanner.index, end);
      scanner.index = end + 1;
    } else if (char === '"') {
      word += readDoubleQuoted(scanner);
    } else if (char === '$') {
      word += readVariable(scanner);
    } else {
      word += char;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function readDoubleQuoted(scanner: Scanner): string {
  let word = '';
  for (;;) {
    if (scanner.done()) throw new ExpansionError(`an unmatched " in ${JSON.stringify(scanner.text)}`);
    const char = scanner.next() as string;
    if (char === '"') return word;
    if (char === scanner.escapeChar && ['"', scanner.escapeChar, '$'].includes(scanner.peek() ?? '')) word += scanner.next();
    else if (char === '$') word += readVariable(scanner);
    else word += char;
  }
}

export function expandWords(text: string, variables: Variables, escapeChar = '\\'): string[] {
  return processText(text, variables, escapeChar, true);
}

export function expandWord(text: string, variables: Variables, escapeChar = '\\'): string {
  return processText(text, variables, escapeChar, false).join('');
}
