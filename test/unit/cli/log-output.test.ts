import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CriLogDecoder, lastLines, LogPrinter } from '../../../cli/containers/log-output.js';

const t = '2026-12-05T13:00:00.123456789Z';

function capture() {
  const out = { stdout: '', stderr: '' };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  return { out, writers: { stdout, stderr } };
}

describe('CriLogDecoder', () => {
  it('decodes lines fed in arbitrary chunks, keeping an unfinished line for the next feed', () => {
    const decoder = new CriLogDecoder();
    const text = `${t} stdout F hello\n${t} stderr P par\n${t} stderr F tial\n`;
    const first = decoder.feed(text.slice(0, 45));
    const rest = decoder.feed(text.slice(45));
    expect([...first, ...rest]).toEqual([
      { stream: 'stdout', timestamp: t, text: 'hello', endsLine: true },
      { stream: 'stderr', timestamp: t, text: 'par', endsLine: false },
      { stream: 'stderr', timestamp: t, text: 'tial', endsLine: true },
    ]);
  });

  it('skips lines not in the CRI format', () => {
    expect(new CriLogDecoder().feed(`garbage\n${t} stdout F ok\n`).map((p) => p.text)).toEqual(['ok']);
  });
});

describe('lastLines', () => {
  it('keeps the last whole lines with their partial pieces', () => {
    const pieces = new CriLogDecoder().feed(`${t} stdout F one\n${t} stdout P tw\n${t} stdout F o\n${t} stdout F three\n`);
    expect(lastLines(pieces, 2).map((p) => p.text)).toEqual(['tw', 'o', 'three']);
    expect(lastLines(pieces, 10)).toHaveLength(4);
    expect(lastLines(pieces, 0)).toEqual([]);
  });
});

describe('LogPrinter', () => {
  it('writes each stream to its own writer, partial pieces without a newline', async () => {
    const { out, writers } = capture();
    new LogPrinter(writers).print(new CriLogDecoder().feed(`${t} stdout P 50%\n${t} stdout F  done\n${t} stderr F oops\n`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out).toEqual({ stdout: '50% done\n', stderr: 'oops\n' });
  });

  it('puts the time before each line, not before each piece', async () => {
    const { out, writers } = capture();
    new LogPrinter(writers, true).print(new CriLogDecoder().feed(`${t} stdout P a\n${t} stdout F b\n${t} stdout F c\n`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.stdout).toBe(`${t} ab\n${t} c\n`);
  });
});
