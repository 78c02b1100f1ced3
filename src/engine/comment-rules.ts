import type { FieldProblem } from '../errors';
import { invalidTextProblems } from './validate';

/**
 * The one length limit of a comment, in characters (UTF-16 code units, as a browser's `maxlength`
 * counts them): a comment on an instance and the comment given with an event alike, in the API and
 * in the console. Every stage document prints some comments in full, so this bounds its size.
 */
export const MAX_COMMENT_LENGTH = 4000;

/** The audit event of a comment (the state unchanged); never a workflow's event name. */
export const COMMENT_EVENT = 'comment';

/**
 * What is wrong with a comment at `path`: not text, NUL or lone surrogates, longer than the limit
 * and, when `required`, blank. An absent (undefined or null) optional comment is fine.
 */
export function commentProblems(value: unknown, path: string, required: boolean): FieldProblem[] {
  if (value === undefined || value === null) return required ? [{ path, message: 'is required' }] : [];
  if (typeof value !== 'string') return [{ path, message: 'must be a string' }];
  const problems = invalidTextProblems(value, path);
  if (value.length > MAX_COMMENT_LENGTH) problems.push({ path, message: `must be at most ${MAX_COMMENT_LENGTH} characters` });
  else if (required && value.trim() === '') problems.push({ path, message: 'must not be blank' });
  return problems;
}
