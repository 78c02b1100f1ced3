import { MAX_COMMENT_LENGTH } from '../engine/comment-rules';
import type { GrmsError } from '../errors';
import type { I18n } from './i18n';
import { errorMessage } from './forms/messages';

export { MAX_COMMENT_LENGTH };

/**
 * The comment as the user typed it. A browser sends each line break of a textarea as CR LF but
 * counts it as one character against `maxlength`; the engine gets the text the user saw, so the
 * console and the API agree on the one limit.
 */
export function typedComment(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\r\n/g, '\n') : '';
}

/** What the console says about a refused comment on an event of `workflow`: missing, too long, or not storable text. */
export function commentErrorText(ctx: I18n, err: GrmsError, workflow: string, event: string): string {
  if (err.code === 'COMMENT_REQUIRED') return ctx.t('instance.commentMissing', { event: ctx.event(workflow, event) });
  const problem = err.errors?.find((e) => e.path === '/comment');
  if (err.code === 'UNPRINTABLE_TEXT' && problem) return errorMessage(ctx, problem.message);
  if (problem?.message.startsWith('must be at most')) return ctx.t('instance.commentTooLong', { max: MAX_COMMENT_LENGTH });
  return ctx.t('instance.commentInvalid');
}
