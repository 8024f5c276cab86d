// The first pass over a Dockerfile: parser directives, comments and line continuations, giving
// one logical line per instruction with the number of the line it starts on (every error a user
// sees names that line). Pure.
//
// Docker's rules followed here: directives (`# syntax=`, `# escapeChar=`, `# check=`) count only at
// the very top, before any blank line, comment or instruction; a comment line is dropped even in
// the middle of a continued instruction; the escape character (`\` or `` ` ``) at the end of a
// line joins it to the next; blank lines inside a continuation are skipped.
import { DockerfileError } from './dockerfile-error.js';

export interface LogicalLine {
  /** 1-based number of the line the instruction starts on. */
  line: number;
  text: string;
}

export interface DockerfileLines {
  directives: Record<string, string>;
  escapeChar: '\\' | '`';
  lines: LogicalLine[];
}

const directivePattern = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const knownDirectives = new Set(['syntax', 'escape', 'check']);

function readDirectives(rawLines: readonly string[]): { directives: Record<string, string>; consumed: number } {
  const directives: Record<string, string> = {};
  let consumed = 0;
  for (const raw of rawLines) {
    const match = directivePattern.exec(raw.trim());
    if (!match?.[1] || match[2] === undefined) break;
    const name = match[1].toLowerCase();
    // An unknown "directive" is an ordinary comment, and ends the directives as docker's parser does.
    if (!knownDirectives.has(name)) break;
    if (name in directives) throw new DockerfileError(consumed + 1, `the parser directive ${name} is given twice; it may appear only once`);
    directives[name] = match[2];
    consumed += 1;
  }
  return { directives, consumed };
}

/** Whether `text` (trailing space trimmed) ends in the escape character that continues it. */
function continues(text: string, escapeChar: string): boolean {
  if (!text.endsWith(escapeChar)) return false;
  // An escaped escapeChar character (`\\` at the end) is a literal one, not a continuation.
  let count = 0;
  for (let index = text.length - 1; index >= 0 && text[index] === escapeChar; index -= 1) count += 1;
  return count % 2 === 1;
}

export function splitDockerfile(source: string): DockerfileLines {
  const rawLines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { directives, consumed } = readDirectives(rawLines);
  const escapeValue = directives['escape'] ?? '\\';
  if (escapeValue !== '\\' && escapeValue !== '`') throw new DockerfileError(1, `the escape directive must be \\ or \`, not ${JSON.stringify(escapeValue)}`);
  const escapeChar = escapeValue;
  const lines: LogicalLine[] = [];
  let pending: LogicalLine | undefined;
  for (let index = consumed; index < rawLines.length; index += 1) {
    const raw = rawLines[index] ?? '';
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) continue;
    if (trimmed === '') {
      // Blank lines end nothing: a continuation goes on past them (docker warns, then joins).
      continue;
    }
    const text = raw.replace(/\s+$/, '');
    const started: LogicalLine = pending ?? { line: index + 1, text: '' };
    if (continues(text, escapeChar)) {
      pending = { line: started.line, text: started.text + text.slice(0, -1) };
      continue;
    }
    pending = undefined;
    lines.push({ line: started.line, text: (started.text + text).trim() });
  }
  // A continuation on the file's last line: docker takes what was gathered as the instruction.
  if (pending && pending.text.trim() !== '') lines.push({ line: pending.line, text: pending.text.trim() });
  return { directives, escapeChar, lines };
}
