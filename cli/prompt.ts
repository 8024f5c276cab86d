// docker's confirmation prompts (prune): a question on stdout, the first line of stdin as the answer.
import { FailedPreconditionError } from '../common/errors.js';

export async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0] ?? '';
}

/** docker's prompt before a prune: `warning`, then anything but y/yes cancels with "`what` has been cancelled". */
export async function confirmPrune(io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }, warning: string, what: string): Promise<void> {
  io.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  if (!/^y(es)?$/i.test((await firstLine(io.stdin)).trim())) throw new FailedPreconditionError(`${what} has been cancelled`);
}
