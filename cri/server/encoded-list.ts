// List answers built from pieces encoded once per record. At 110 pods a ListPodSandbox or
// ListContainers answer is 110 messages that rarely change between the kubelet's polls, and
// protobufjs' fromObject + encode of the whole list was most of the call's own CPU (bench/
// analysis.md). Records are immutable (a change commits a new object), so each record's piece
// is kept beside it in a WeakMap. A piece is the encoding of a one-item answer: the list
// messages have that one repeated field, and protobuf's encoding of a repeated field is the
// concatenation of its one-item encodings, so the pieces joined are the whole answer's bytes.
const preEncoded = Symbol('berth.preEncoded');

/** An answer that also carries its own protobuf encoding, which the server sends as is. */
export type PreEncoded<Response> = Response & { [preEncoded]?: Buffer };

/** The bytes to send for `response` when a handler encoded it already (server.ts). */
export function preEncodedBytes(response: unknown): Buffer | undefined {
  return typeof response === 'object' && response !== null ? (response as PreEncoded<object>)[preEncoded] : undefined;
}

/**
 * A list answer `{ [field]: items }` with its encoding joined from each record's cached piece.
 * `serialize` is the method's own response serializer; `toItem` must depend on the record alone.
 */
export function encodedList<Record extends object, Item, Field extends string>(
  records: readonly Record[],
  field: Field,
  toItem: (record: Record) => Item,
  serialize: (response: { [K in Field]: Item[] }) => Buffer,
  pieces: WeakMap<Record, Buffer>,
): PreEncoded<{ [K in Field]: Item[] }> {
  const items = records.map(toItem);
  const bytes = records.map((record, i) => {
    let piece = pieces.get(record);
    if (!piece) {
      piece = serialize({ [field]: [items[i]] } as { [K in Field]: Item[] });
      pieces.set(record, piece);
    }
    return piece;
  });
  return Object.assign({ [field]: items } as { [K in Field]: Item[] }, { [preEncoded]: Buffer.concat(bytes) });
}
