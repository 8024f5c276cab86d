// The part of docker's --format (Go's text/template) that people type: `{{.Field}}`,
// `{{.Field.Sub}}`, `{{json .}}`, `{{json .Field}}`, `{{.Labels}}` and the `table` prefix that adds a header row
// and aligns the columns as docker's tabwriter does. Anything else is refused with a message
// rather than printed wrong. Pure: the commands pass the rows as plain objects.
import { InvalidArgumentError } from '../common/errors.js';

/** JSON values, as docker's API objects hold them. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };
export type TemplateRow = Record<string, TemplateValue>;

type Piece = { text: string } | { field: string | '.'; json: boolean };

function parse(template: string): Piece[] {
  const pieces: Piece[] = [];
  const pattern = /\{\{\s*(json\s+)?(\.(?:[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)?)\s*\}\}/g;
  let last = 0;
  for (const match of template.matchAll(pattern)) {
    pieces.push({ text: template.slice(last, match.index) });
    const field = match[2] === '.' ? '.' : (match[2] ?? '.').slice(1);
    pieces.push({ field, json: match[1] !== undefined });
    last = (match.index ?? 0) + match[0].length;
  }
  pieces.push({ text: template.slice(last) });
  for (const piece of pieces) {
    if ('text' in piece && piece.text.includes('{{')) {
      throw new InvalidArgumentError(`--format: berth understands {{.Field}}, {{json .}}, {{json .Field}} and a "table" prefix; not ${JSON.stringify(piece.text.slice(piece.text.indexOf('{{')))}`);
    }
  }
  return pieces;
}

/** How Go prints a value with {{.Field}}: maps as docker's "k=v,k=v" label strings. */
function plain(value: TemplateRow[string] | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => plain(item)).join(',');
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, v]) => `${key}=${plain(v)}`)
      .join(',');
  }
  return String(value);
}

/** The value at a dotted path (`Server.Version`); undefined where a step is missing. */
function lookup(row: TemplateRow, path: string): { found: boolean; value: TemplateValue | undefined; fields: string[] } {
  let current: TemplateValue = row;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !(step in current)) {
      const fields = current !== null && typeof current === 'object' && !Array.isArray(current) ? Object.keys(current) : [];
      return { found: false, value: undefined, fields };
    }
    current = current[step] as TemplateValue;
  }
  return { found: true, value: current, fields: [] };
}

function render(pieces: readonly Piece[], row: TemplateRow): string {
  return pieces
    .map((piece) => {
      if ('text' in piece) return piece.text.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
      const { found, value, fields } = piece.field === '.' ? { found: true, value: row, fields: [] } : lookup(row, piece.field);
      if (!found) throw new InvalidArgumentError(`--format: there is no field ${piece.field}; the fields are ${fields.join(', ')}`);
      return piece.json ? JSON.stringify(value ?? null) : plain(value as TemplateRow[string]);
    })
    .join('');
}

/** Columns padded as Go's tabwriter with docker's settings (minimum width 10, padding 3). */
export function alignColumns(lines: readonly string[]): string {
  const rows = lines.map((line) => line.split('\t'));
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length + 3, 10);
    });
  }
  return rows.map((row) => row.map((cell, index) => (index < row.length - 1 ? cell.padEnd(widths[index] ?? 0) : cell)).join('')).join('\n');
}

/** Every row through the template, one line each; `headers` names the columns of a `table` template. */
export function formatRows(template: string, rows: readonly TemplateRow[], headers: Readonly<Record<string, string>>): string {
  const table = /^table(\s|$)/.test(template);
  const pieces = parse(table ? template.replace(/^table\s*/, '') : template);
  const lines = rows.map((row) => render(pieces, row));
  if (!table) return lines.map((line) => `${line}\n`).join('');
  const header = pieces
    .map((piece) => ('text' in piece ? piece.text.replace(/\\t/g, '\t') : piece.field === '.' ? '' : (headers[piece.field] ?? (piece.field.split('.').pop() ?? '').toUpperCase())))
    .join('');
  return `${alignColumns([header, ...lines])}\n`;
}
