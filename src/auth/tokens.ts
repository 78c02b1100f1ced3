import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Actor } from './roles';

const TOKEN_PREFIX = 'grms_';
// Writing last_used_at on every request would turn each read into a write; once a minute is enough.
const LAST_USED_RESOLUTION_SECONDS = 60;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Mints a new bearer token for `username`; only its hash is stored. */
export async function mintToken(db: Kysely<Database>, username: string, expiresAt?: Date): Promise<string> {
  const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
  await db
    .insertInto('api_tokens')
    .values({ token_hash: hashToken(token), username, expires_at: expiresAt ?? null })
    .execute();
  return token;
}

export class UnknownUser extends Error {
  readonly code = 'UNKNOWN_USER';
}

/** Loads a user with roles and org; undefined when the user does not exist or is inactive. */
export async function loadActor(db: Kysely<Database>, username: string): Promise<Actor | undefined> {
  const user = await db
    .selectFrom('users')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select(['users.username', 'users.full_name', 'users.position', 'users.org_id', 'users.active', 'orgs.name as org_name'])
    .where('users.username', '=', username)
    .executeTakeFirst();
  if (!user || !user.active) return undefined;
  const roles = await db
    .selectFrom('user_roles')
    .select(['role', 'org_id'])
    .where('username', '=', username)
    .orderBy('role')
    .orderBy('org_id')
    .execute();
  // Roles delegated to this user today (Plt/Plh), by a delegator who still holds them and is active.
  const delegated = await db
    .selectFrom('delegations as d')
    .innerJoin('users as u', 'u.username', 'd.delegator')
    .innerJoin('user_roles as g', (j) => j.onRef('g.username', '=', 'd.delegator').onRef('g.role', '=', 'd.role').onRef('g.org_id', '=', 'd.org_id'))
    .select(['d.role', 'd.org_id', 'd.delegator', 'u.full_name', 'u.position'])
    .where('d.delegate', '=', username)
    .where('d.ended_at', 'is', null)
    .where('u.active', '=', true)
    .where(sql<boolean>`(now() AT TIME ZONE 'Asia/Jakarta')::date BETWEEN d.starts_on AND d.ends_on`)
    .orderBy('d.created_at')
    .execute();
  return {
    username: user.username,
    fullName: user.full_name,
    position: user.position,
    org: user.org_id,
    orgName: user.org_name,
    roles: [
      ...roles.map((r) => ({ role: r.role, org: r.org_id })),
      ...delegated
        .filter((d) => !roles.some((r) => r.role === d.role && r.org_id === d.org_id))
        .map((d) => ({ role: d.role, org: d.org_id, actingFor: { username: d.delegator, fullName: d.full_name, position: d.position } })),
    ],
  };
}

/** The actor behind a bearer token, or undefined for an unknown, expired or revoked token. */
export async function authenticateToken(db: Kysely<Database>, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'username', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
  const actor = await loadActor(db, row.username);
  if (!actor) return undefined;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000) {
    await db.updateTable('api_tokens').set({ last_used_at: sql<Date>`now()` }).where('id', '=', row.id).execute();
  }
  return actor;
}

/** Revokes one token by its value; returns whether it was active. */
export async function revokeToken(db: Kysely<Database>, token: string): Promise<boolean> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: sql<Date>`now()` }).where('token_hash', '=', hashToken(token)).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Revokes every active token of a user; returns how many. */
export async function revokeUserTokens(db: Kysely<Database>, username: string): Promise<number> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: sql<Date>`now()` }).where('username', '=', username).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
