// A Dockerfile a build cannot use: the message names the line, as docker's
// "Dockerfile:12: unknown instruction: COPPY" does, so the user goes straight to it.
import { InvalidArgumentError } from '../../common/errors.js';

export class DockerfileError extends InvalidArgumentError {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`Dockerfile:${line}: ${detail}`);
  }
}
