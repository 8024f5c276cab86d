// Client streams whose first message carries the call's options (Import, CopyTo): the options,
// and every message's bytes, the first one's included.
import { InvalidArgumentError } from '../../common/errors.js';

export async function optionsFirst<Message extends { data: Buffer }, Options>(
  method: string,
  requests: AsyncIterable<Message>,
  optionsOf: (message: Message) => Options | null | undefined,
): Promise<{ options: Options; data: AsyncIterable<Uint8Array> }> {
  const iterator = requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  const options = first.done ? undefined : optionsOf(first.value);
  if (!options) throw new InvalidArgumentError(`${method}: the first message must carry the options`);
  async function* data(): AsyncIterable<Uint8Array> {
    if (!first.done) yield first.value.data;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value.data;
  }
  return { options, data: data() };
}
