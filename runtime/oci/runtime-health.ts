// RuntimeStatus's RuntimeReady, from what berth needs to start a container: the OCI runtime and
// conmon answer `--version`, and the state and root dirs take a write. The kubelet asks every
// few seconds and marks the node NotReady on false, so the answer is cached briefly, one check
// runs at a time however many callers wait, and a binary that hangs is given a deadline instead
// of hanging Status.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChildResult, runChild } from '../../common/child-process.js';
import { DeadlineExceededError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { TtlCache } from '../../common/ttl-cache.js';

export interface Readiness {
  ok: boolean;
  reason: string;
  message: string;
}

/** One thing RuntimeReady needs; resolves to what is wrong, or undefined when it is fine. */
export type ReadinessCheck = () => Promise<Readiness | undefined>;

export const ready: Readiness = { ok: true, reason: '', message: '' };

/**
 * `path --version` exits 0 within `timeoutMs`. It runs as every program berth starts does
 * (common/child-process.ts): a hang kills its whole process group, so a wrapper's child that keeps
 * the output open cannot stretch the deadline.
 */
export function binaryAnswers(what: string, path: string, reason: string, timeoutMs: number): ReadinessCheck {
  return async () => {
    const failed = (why: string): Readiness => ({ ok: false, reason, message: `${what} (${path}) --version ${why}; berth cannot run containers until it answers` });
    let result: ChildResult;
    try {
      result = await runChild(path, ['--version'], {}, { timeoutMs, what: `${what} --version` });
    } catch (error) {
      if (error instanceof DeadlineExceededError) return failed(`did not answer within ${timeoutMs} ms`);
      throw error;
    }
    if (result.exitCode === 0) return undefined;
    if (result.spawnError) return failed(`could not be run (${result.spawnError.message})`);
    const stderr = result.stderr.trim().split('\n')[0];
    return failed(result.exitCode === undefined ? 'was killed by a signal' : `exited ${result.exitCode}${stderr ? `: ${stderr}` : ''}`);
  };
}

/** A file can be created and removed in `dir`. */
export function dirWritable(what: string, dir: string, reason: string): ReadinessCheck {
  return async () => {
    const probe = join(dir, `.berth-ready-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(probe, '');
      await rm(probe, { force: true });
      return undefined;
    } catch (error) {
      return { ok: false, reason, message: `${what} ${dir} is not writable (${errorMessage(error)}); berth cannot keep container state there` };
    }
  };
}

export interface RuntimeHealthOptions {
  checks: ReadinessCheck[];
  /** How long an answer is reused; the kubelet's Status calls come every few seconds. */
  ttlMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class RuntimeHealth {
  readonly #checks: ReadinessCheck[];
  readonly #logger: Logger | undefined;
  readonly #cache: TtlCache<Readiness>;
  #previous: Readiness = ready;

  constructor(options: RuntimeHealthOptions) {
    this.#checks = options.checks;
    this.#logger = options.logger;
    this.#cache = new TtlCache(() => this.#check(), { ttlMs: options.ttlMs ?? 2_000, ...(options.now ? { now: options.now } : {}) });
  }

  /** The first failing check's answer (checks run together), or ready. */
  readiness(): Promise<Readiness> {
    return this.#cache.get();
  }

  async #check(): Promise<Readiness> {
    const answers = await Promise.all(this.#checks.map((check) => check().catch((error: unknown): Readiness => ({ ok: false, reason: 'RuntimeCheckFailed', message: errorMessage(error) }))));
    const readiness = answers.find((answer) => answer !== undefined) ?? ready;
    if (readiness.reason !== this.#previous.reason) {
      if (readiness.ok) this.#logger?.info('runtime ready again');
      else this.#logger?.warn({ reason: readiness.reason }, readiness.message);
    }
    this.#previous = readiness;
    return readiness;
  }
}
