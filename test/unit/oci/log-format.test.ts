import { describe, expect, it } from 'vitest';
import { formatCriLogLine, parseCriLog, parseCriLogLine } from '../../../runtime/oci/log-format.js';

describe('parseCriLogLine', () => {
  it('parses a full stdout line with a zone offset as conmon writes it', () => {
    expect(parseCriLogLine('2026-11-22T21:35:18.838536116+00:00 stdout F hello world')).toEqual({
      timestamp: '2026-11-22T21:35:18.838536116+00:00',
      stream: 'stdout',
      partial: false,
      message: 'hello world',
    });
  });

  it('parses a partial stderr line with a Z timestamp', () => {
    expect(parseCriLogLine('2026-11-22T21:35:18.1Z stderr P part')).toMatchObject({ stream: 'stderr', partial: true, message: 'part' });
  });

  it('keeps spaces inside and at the end of the message', () => {
    expect(parseCriLogLine('2026-11-22T21:35:18Z stdout F  a  b ')?.message).toBe(' a  b ');
  });

  it('accepts an empty message with or without the separating space', () => {
    expect(parseCriLogLine('2026-11-22T21:35:18Z stdout F ')?.message).toBe('');
    expect(parseCriLogLine('2026-11-22T21:35:18Z stdout F')?.message).toBe('');
  });

  it.each([
    ['no fields', 'hello'],
    ['bad timestamp', 'yesterday stdout F hi'],
    ['timestamp without zone', '2026-11-22T21:35:18 stdout F hi'],
    ['more than nine fraction digits', '2026-11-22T21:35:18.1234567890Z stdout F hi'],
    ['unknown stream', '2026-11-22T21:35:18Z stdin F hi'],
    ['unknown tag', '2026-11-22T21:35:18Z stdout X hi'],
    ['tag glued to message', '2026-11-22T21:35:18Z stdout Fhi'],
    ['missing tag', '2026-11-22T21:35:18Z stdout'],
  ])('rejects a line with %s', (_name, line) => {
    expect(parseCriLogLine(line)).toBeUndefined();
  });
});

describe('parseCriLog', () => {
  it('joins partial pieces per stream into the line that was written', () => {
    const text = ['2026-11-22T00:00:00Z stdout P ab', '2026-11-22T00:00:01Z stderr F err', '2026-11-22T00:00:02Z stdout F cd', ''].join('\n');
    expect(parseCriLog(text)).toEqual({
      entries: [
        { timestamp: '2026-11-22T00:00:01Z', stream: 'stderr', message: 'err' },
        { timestamp: '2026-11-22T00:00:00Z', stream: 'stdout', message: 'abcd' },
      ],
      malformed: [],
      pending: [],
    });
  });

  it('reports unfinished partial lines as pending and bad lines by number', () => {
    const parsed = parseCriLog('garbage\n2026-11-22T00:00:00Z stdout P tail\n');
    expect(parsed.malformed).toEqual([1]);
    expect(parsed.pending).toEqual([{ timestamp: '2026-11-22T00:00:00Z', stream: 'stdout', message: 'tail' }]);
  });

  it('reads back what formatCriLogLine writes', () => {
    const line = { timestamp: '2026-11-22T00:00:00.123456789Z', stream: 'stdout' as const, partial: false, message: 'x y' };
    expect(parseCriLogLine(formatCriLogLine(line).trimEnd())).toEqual(line);
  });
});
