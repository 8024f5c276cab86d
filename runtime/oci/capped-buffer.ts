// Collects a stream's bytes up to a limit and counts, but drops, the rest: exec output is held
// in memory, and a command that prints without end must not take berth's memory with it.

export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(readonly limitBytes: number) {}

  push(chunk: Buffer): void {
    const room = this.limitBytes - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}
