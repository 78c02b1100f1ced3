import { todayOf, type WorkflowTime } from '../clock';
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { globalRoles, type Actor } from './roles';

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

/** Mints a token for each active user among `usernames` in one statement; returns them by username. */
export async function mintTokensForActive(db: Kysely<Database>, usernames: readonly string[], expiresAt: Date, note: string | null = null): Promise<Record<string, string>> {
  if (usernames.length === 0) return {};
  const tokens = new Map(usernames.map((u) => [u, TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url')]));
  const minted = await sql<{ username: string }>`
    INSERT INTO api_tokens (token_hash, username, expires_at, note)
    SELECT t.hash, u.username, ${expiresAt}::timestamptz, ${note}::text
    FROM users u JOIN (VALUES ${sql.join([...tokens].map(([u, t]) => sql`(${u}, ${hashToken(t)})`))}) AS t(username, hash) ON t.username = u.username
    WHERE u.active
    RETURNING username`.execute(db);
  return Object.fromEntries(minted.rows.map((r) => [r.username, tokens.get(r.username)!]));
}

export class UnknownUser extends Error {
  readonly code = 'UNKNOWN_USER';
}

/**
 * The columns of an actor, for the user row `u` joined to its OPD `o`: the user's roles, and the
 * roles delegated to them today (Plt/Plh) by a delegator who still holds them and is active (and
 * only while the delegate belongs to the role's OPD, or for a global role the delegator's), as
 * JSON arrays, so a whole actor is one row of one statement.
 */
const actorColumns = (time: WorkflowTime) => sql`
  u.username, u.full_name, u.position, u.org_id, u.active, o.name AS org_name,
  (SELECT coalesce(json_agg(json_build_object('role', r.role, 'org', r.org_id) ORDER BY r.role, r.org_id), '[]'::json)
     FROM user_roles r WHERE r.username = u.username) AS roles,
  (SELECT coalesce(json_agg(json_build_object('role', d.role, 'org', d.org_id, 'delegator', d.delegator, 'fullName', du.full_name, 'position', du.position, 'kind', d.kind)
                            ORDER BY d.created_at), '[]'::json)
     FROM delegations d
     JOIN users du ON du.username = d.delegator AND u.org_id = CASE WHEN d.role IN (${sql.join(globalRoles())}) THEN du.org_id ELSE d.org_id END
     JOIN user_roles g ON g.username = d.delegator AND g.role = d.role AND g.org_id = d.org_id
     WHERE d.delegate = u.username AND d.ended_at IS NULL AND du.active
       AND ${todayOf(time)}::date BETWEEN d.starts_on AND d.ends_on) AS delegated`;

interface ActorRow {
  username: string | null;
  full_name: string | null;
  position: string | null;
  org_id: string | null;
  active: boolean | null;
  org_name: string | null;
  roles: Array<{ role: string; org: string }>;
  delegated: Array<{ role: string; org: string; delegator: string; fullName: string; position: string; kind: 'plt' | 'plh' }>;
}

function actorOf(row: ActorRow | undefined): Actor | undefined {
  if (!row || row.username === null || !row.active) return undefined;
  return {
    username: row.username,
    fullName: row.full_name!,
    position: row.position!,
    org: row.org_id!,
    orgName: row.org_name!,
    roles: [
      ...row.roles,
      ...row.delegated
        .filter((d) => !row.roles.some((r) => r.role === d.role && r.org === d.org))
        .map((d) => ({ role: d.role, org: d.org, actingFor: { username: d.delegator, fullName: d.fullName, position: d.position, kind: d.kind } })),
    ],
  };
}

/**
 * Loads a user with roles and org; undefined when the user does not exist or is inactive.
 * Today on the workflow clock, in the deployment's zone, decides which delegations are in force.
 */
export async function loadActor(db: Kysely<Database>, username: string, time: WorkflowTime): Promise<Actor | undefined> {
  const r = await sql<ActorRow>`SELECT ${actorColumns(time)} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = ${username}`.execute(db);
  return actorOf(r.rows[0]);
}

/**
 * The actor behind a bearer token, checked in one statement: the token, its user, the user's OPD,
 * roles and delegated roles; undefined for an unknown, expired or revoked token or an inactive
 * user. last_used_at is written at most once a minute per token. Failures are counted by the
 * caller (src/auth/rate-limit.ts): a valid token is never refused for them.
 */
export async function authenticate(db: Kysely<Database>, token: string, time: WorkflowTime, now = new Date()): Promise<Actor | undefined> {
  // A malformed token is still looked up (it matches nothing), so it costs the same.
  const hash = token.startsWith(TOKEN_PREFIX) && token.length <= 200 ? hashToken(token) : '';
  const r = await sql<ActorRow & { token_id: number | null; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null }>`
    SELECT t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at, ${actorColumns(time)}
    FROM (SELECT 1) AS one
    LEFT JOIN api_tokens t ON t.token_hash = ${hash}
    LEFT JOIN users u ON u.username = t.username
    LEFT JOIN orgs o ON o.id = u.org_id`.execute(db);
  const row = r.rows[0]!;
  if (row.token_id === null || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= now.getTime())) return undefined;
  const actor = actorOf(row);
  if (actor && (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_SECONDS * 1000)) {
    await db.updateTable('api_tokens').set({ last_used_at: sql<Date>`now()` }).where('id', '=', row.token_id).execute();
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
