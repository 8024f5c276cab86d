import { BerthError } from '../../common/errors.js';

/** Content that does not match what the image says it is: refused, nothing committed. */
export class LayerMismatchError extends BerthError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
