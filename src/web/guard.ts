import type { Response } from 'express';
import type { Actor } from '../auth/roles';
import { hasRole } from '../auth/roles';
import { forbidden } from '../errors';
import { ctxOf, userOf } from './context';

/** The signed-in user when they hold one of `roles`; otherwise a 403 page (or sign-in first). */
export function requireRoleOf(res: Response, ...roles: string[]): Actor {
  const actor = userOf(res);
  if (!roles.some((r) => hasRole(actor, r))) {
    const ctx = ctxOf(res);
    throw forbidden(ctx.t('guard.needsRole', { roles: roles.map((r) => ctx.role(r)).join(', ') }));
  }
  return actor;
}

/** A single-valued query parameter, or undefined. */
export function queryText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
