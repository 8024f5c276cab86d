// Docker's detach keys: Ctrl-P then Ctrl-Q typed into an -it session leaves the container (or
// the exec'd command) running and ends the CLI. Both keys are kept from the container; a Ctrl-P
// followed by anything else reaches it with that key, as in docker.
import { Transform, type TransformCallback } from 'node:stream';

const ctrlP = 0x10;
const ctrlQ = 0x11;

export class DetachKeyFilter extends Transform {
  /** A Ctrl-P that waits for the next key to say whether it begins the sequence. */
  private holding = false;
  private detached = false;

  constructor(private readonly onDetach: () => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.detached) {
      callback();
      return;
    }
    const passed: number[] = [];
    for (const byte of chunk) {
      if (this.holding) {
        this.holding = false;
        if (byte === ctrlQ) {
          this.detached = true;
          if (passed.length > 0) this.push(Buffer.from(passed));
          this.onDetach();
          callback();
          return;
        }
        passed.push(ctrlP);
      }
      if (byte === ctrlP) this.holding = true;
      else passed.push(byte);
    }
    if (passed.length > 0) this.push(Buffer.from(passed));
    callback();
  }
}
