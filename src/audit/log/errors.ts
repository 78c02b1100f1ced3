import { GrmsError } from '../../errors';

/**
 * Errors of the transparency log's database side, each with a stable code. The log refuses loudly
 * rather than "start over": a tree smaller than, or different from, what it already signed is a
 * rolled-back or rewritten database, and signing over it would hide that.
 */
export type LogErrorCode =
  /** The tree holds fewer leaves than a checkpoint already issued. */
  | 'LOG_ROLLED_BACK'
  /** The tree is not consistent with the last checkpoint signed (leaves rewritten). */
  | 'LOG_INCONSISTENT'
  /** Leaves, nodes and integrations disagree (rows deleted behind the integrator's back). */
  | 'LOG_TREE_DAMAGED'
  /** The last stored checkpoint does not verify with the log key (forged or from another key). */
  | 'LOG_CHECKPOINT_INVALID'
  /** GRMS_LOG_ORIGIN differs from the origin of the checkpoints already issued. */
  | 'LOG_ORIGIN_CHANGED'
  /** A witness cosigned a larger tree than this database holds: checkpointing stopped. */
  | 'LOG_HALTED'
  /** A size or index beyond the tree, or a malformed one. */
  | 'LOG_RANGE'
  /** No such row among the sources of leaves. */
  | 'LOG_ROW_NOT_FOUND';

const STATUS: Record<LogErrorCode, number> = {
  LOG_ROLLED_BACK: 409, LOG_INCONSISTENT: 409, LOG_TREE_DAMAGED: 409, LOG_CHECKPOINT_INVALID: 409,
  LOG_ORIGIN_CHANGED: 409, LOG_HALTED: 409, LOG_RANGE: 400, LOG_ROW_NOT_FOUND: 404,
};

const TITLE: Record<LogErrorCode, string> = {
  LOG_ROLLED_BACK: 'Log rolled back',
  LOG_INCONSISTENT: 'Log inconsistent with its last checkpoint',
  LOG_TREE_DAMAGED: 'Log tree damaged',
  LOG_CHECKPOINT_INVALID: 'Stored checkpoint invalid',
  LOG_ORIGIN_CHANGED: 'Log origin changed',
  LOG_HALTED: 'Log checkpointing halted',
  LOG_RANGE: 'Outside the log',
  LOG_ROW_NOT_FOUND: 'No such row',
};

export class LogError extends GrmsError {
  constructor(
    override readonly code: LogErrorCode,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, STATUS[code], code.toLowerCase().replace(/_/g, '-'), TITLE[code], detail, undefined, options);
    this.name = 'LogError';
  }
}
