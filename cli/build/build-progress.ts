// docker's plain progress (BuildKit's `--progress plain`): one numbered vertex per step,
//   #5 [build 2/4] RUN make
//   #5 0.412 compiling...
//   #5 DONE 1.3s
// or `#5 CACHED`, or `#5 ERROR: ...`. berth has no live tty renderer: `tty` and `auto` print the
// same plain lines (documented). `-q` prints nothing here and only the image id at the end.
import type { Writable } from 'node:stream';

export class BuildProgress {
  private next = 1;

  constructor(
    private readonly out: Writable | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts a vertex, printing its title; the returned handle prints its output and its end. */
  vertex(title: string): Vertex {
    const number = this.next;
    this.next += 1;
    this.out?.write(`#${number} ${title}\n`);
    return new Vertex(number, this.out, this.now);
  }
}

export class Vertex {
  private readonly started: number;
  private partial = '';

  constructor(
    readonly number: number,
    private readonly out: Writable | undefined,
    private readonly now: () => number,
  ) {
    this.started = now();
  }

  private elapsed(): string {
    return ((this.now() - this.started) / 1000).toFixed(3);
  }

  /** Output of the step (a RUN's), each line stamped with the seconds since the step started. */
  output(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.out?.write(`#${this.number} ${this.elapsed()} ${line}\n`);
  }

  /** A line that is not output: "writing image sha256:... done". */
  log(text: string): void {
    this.out?.write(`#${this.number} ${text}\n`);
  }

  private flush(): void {
    if (this.partial !== '') this.out?.write(`#${this.number} ${this.elapsed()} ${this.partial}\n`);
    this.partial = '';
  }

  done(): void {
    this.flush();
    this.out?.write(`#${this.number} DONE ${(Math.max(0, this.now() - this.started) / 1000).toFixed(1)}s\n\n`);
  }

  cached(): void {
    this.out?.write(`#${this.number} CACHED\n\n`);
  }

  error(message: string): void {
    this.flush();
    this.out?.write(`#${this.number} ERROR: ${message}\n\n`);
  }
}
