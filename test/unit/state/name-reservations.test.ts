import { describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError } from '../../../common/errors.js';
import { NameReservations } from '../../../runtime/state/name-reservations.js';
import { gate } from '../gate.js';

describe('name reservations', () => {
  it("gives a create that arrives while the first is in flight the first one's object, made once", async () => {
    const names = new NameReservations('pod sandbox');
    const first = gate<string>();
    let creates = 0;
    const a = names.hold('web', 'id1', () => {
      creates += 1;
      return first.promise;
    });
    const b = names.hold('web', 'id2', async () => {
      creates += 1;
      return 'second';
    });
    first.resolve('sandbox-1');
    expect(await Promise.all([a, b])).toEqual(['sandbox-1', 'sandbox-1']);
    expect(creates).toBe(1);
  });

  it('lets the waiter make its own once the first create failed or its caller was killed', async () => {
    const names = new NameReservations('pod sandbox');
    const first = gate<string>();
    const a = names.hold('web', 'id1', () => first.promise);
    const b = names.hold('web', 'id2', async () => 'made by the retry');
    first.reject(new DeadlineExceededError("the client's deadline for RunPodSandbox passed"));
    await expect(a).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(b).resolves.toBe('made by the retry');
    // The name is free once every create has ended.
    await expect(names.hold('web', 'id3', async () => 'later')).resolves.toBe('later');
  });

  it("stops waiting when the waiter's own caller goes away, and the first create goes on", async () => {
    const names = new NameReservations('container');
    const first = gate<string>();
    const a = names.hold('web', 'id1', () => first.promise);
    const abort = new AbortController();
    const b = names.hold('web', 'id2', async () => 'never', { signal: abort.signal });
    abort.abort(new CancelledError('the client cancelled CreateContainer'));
    await expect(b).rejects.toThrow(/container name web is reserved by id1, whose create is still in flight/);
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    first.resolve('container-1');
    await expect(a).resolves.toBe('container-1');
  });

  it('frees the name after a create that failed on its own', async () => {
    const names = new NameReservations('container');
    await expect(names.hold('web', 'id1', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(names.hold('web', 'id2', async () => 'made')).resolves.toBe('made');
  });
});
