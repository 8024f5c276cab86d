// conmon's sync pipe (the fd named by _OCI_SYNCPIPE): once the runtime's `create` has finished,
// conmon writes one JSON line. With --api-version 1 the key is "data"; older conmons write
// "pid" for create and "exit_code" for exec. A positive value is the container's pid; a
// negative one means create failed, and "message" holds what the runtime printed.

export type SyncMessage = { ok: true; pid: number } | { ok: false; message: string };

/**
 * Pure: conmon's attach pipe line in exec-attach mode: {"data":0} once its attach socket
 * listens; a negative value and "message" when setting it up failed.
 */
export function parseAttachReady(line: string): { ready: true } | { ready: false; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ready: false, message: `conmon wrote ${line}` };
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const value = record['data'];
  if (typeof value === 'number' && value >= 0) return { ready: true };
  return { ready: false, message: typeof record['message'] === 'string' && record['message'] !== '' ? record['message'] : `conmon wrote ${line}` };
}

/** Pure: one line from the sync pipe; undefined when it is not a message conmon writes. */
export function parseSyncMessage(line: string): SyncMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const value = record['data'] ?? record['pid'] ?? record['exit_code'];
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  const message = typeof record['message'] === 'string' ? record['message'] : '';
  if (value > 0) return { ok: true, pid: value };
  return { ok: false, message: message === '' ? `conmon reported ${value} without a message` : message };
}
