// The undo stack of a create (containerd's `defer if retErr`): each step that made something
// registers how to take it away; a create that fails or is cancelled runs them last to first.
// Undo steps never run under the request's signal (it has often aborted, which is why they run):
// each gets cleanupSignal(), bounded on its own. Their errors are returned to be reported beside
// the create's own error, never instead of it.
import { cleanupSignal } from '../../common/abort.js';
import { errorMessage } from '../../common/errors.js';

/** Undoes one step; `signal` is the cleanup's own, not the request's. */
export type Undo = (signal: AbortSignal) => Promise<unknown>;

export interface UndoOptions {
  /**
   * Run only when every step undone before it succeeded: for the step that forgets the create
   * (a crash-recovery intent), which must stay while anything it would find is still there.
   */
  whenClean?: boolean;
}

export class Rollback {
  private readonly steps: { undo: Undo; whenClean: boolean }[] = [];

  push(undo: Undo, options: UndoOptions = {}): void {
    this.steps.push({ undo, whenClean: options.whenClean ?? false });
  }

  /** Runs every registered undo, last first, once; returns what failed ([] when all went). */
  async undo(): Promise<string[]> {
    const errors: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      if (step.whenClean && errors.length > 0) continue;
      await step.undo(cleanupSignal()).catch((error: unknown) => errors.push(errorMessage(error)));
    }
    return errors;
  }
}
