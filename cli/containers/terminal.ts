// The local side of -i and -t: this process's stdin handed to a remote command, in raw mode when
// there is a terminal (so Ctrl-C, arrows and tab reach the container's shell, as with docker),
// and the size of the window, followed as it changes; Ctrl-P Ctrl-Q there detaches. Raw mode is
// undone however the session ends.
import { InvalidArgumentError } from '../../common/errors.js';
import type { RemoteCommandIo } from '../../cri/client/remote-command-client.js';
import { DetachKeyFilter } from './detach-keys.js';
import type { LogWriters } from './log-output.js';

export interface LocalTerminal {
  io: RemoteCommandIo;
  restore(): void;
}

/** -it needs this process's stdin to be a terminal; said before anything is made. */
export function checkLocalTerminal(options: { interactive?: boolean | undefined; tty?: boolean | undefined }): void {
  if (options.tty && options.interactive && !process.stdin.isTTY) {
    throw new InvalidArgumentError('the input device is not a TTY: drop -t to pipe input into the container');
  }
}

/** `output` takes what the command writes; the terminal's size is this process's stdout's. */
export function openLocalIo(options: { interactive: boolean; tty: boolean }, output: LogWriters): LocalTerminal {
  const { stdin, stdout } = process;
  checkLocalTerminal(options);
  const raw = options.tty && options.interactive && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  // On a terminal Ctrl-P Ctrl-Q detaches, as docker's default detach keys do.
  const detach = new AbortController();
  const keys = raw ? stdin.pipe(new DetachKeyFilter(() => detach.abort())) : undefined;
  const io: RemoteCommandIo = {
    stdin: keys ?? (options.interactive ? stdin : undefined),
    signal: detach.signal,
    stdout: output.stdout,
    stderr: output.stderr,
    terminal: options.tty
      ? {
          size: () => (stdout.isTTY ? { width: stdout.columns, height: stdout.rows } : undefined),
          onResize: (listener) => {
            stdout.on('resize', listener);
            return () => stdout.off('resize', listener);
          },
        }
      : undefined,
  };
  return {
    io,
    restore: () => {
      if (keys) stdin.unpipe(keys);
      if (raw) stdin.setRawMode(false);
      if (options.interactive) stdin.pause();
    },
  };
}
