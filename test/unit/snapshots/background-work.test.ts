// The unpacker's background tasks: bounded, and no failure lost.
import { describe, expect, it } from 'vitest';
import { BackgroundWork } from '../../../runtime/snapshots/background-work.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('BackgroundWork', () => {
  it('never runs more than its limit at once', async () => {
    const work = new BackgroundWork(3);
    let running = 0;
    let most = 0;
    for (let i = 0; i < 20; i++) {
      await work.add(async () => {
        running += 1;
        most = Math.max(most, running);
        await tick();
        running -= 1;
      });
    }
    await work.drain();
    expect([most, running]).toEqual([3, 0]);
  });

  it('throws a failure from drain() after every task has ended', async () => {
    const work = new BackgroundWork(4);
    let finished = 0;
    await work.add(async () => {
      await tick();
      throw new Error('fchown failed');
    });
    await work.add(async () => {
      await tick();
      await tick();
      finished += 1;
    });
    await expect(work.drain()).rejects.toThrow('fchown failed');
    expect(finished).toBe(1);
  });

  it('starts the work it is given even after a failure, then throws that failure', async () => {
    const work = new BackgroundWork(1);
    await work.add(async () => {
      throw new Error('first');
    });
    await work.settle();
    let started = false;
    await expect(
      work.add(async () => {
        started = true;
      }),
    ).rejects.toThrow('first');
    await work.settle();
    expect(started).toBe(true);
  });
});
