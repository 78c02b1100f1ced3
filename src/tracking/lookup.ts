import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { badRequest, GrmsError, type FieldProblem } from '../errors';
import { verifyPin } from './pin';

/**
 * Looking an instance up by its tracking number and PIN (./register.ts), for whoever holds the
 * receipt (no login). What the lookup gives is the instance's state and dates, never its history;
 * what of it is shown is the workflow's choice (its public status route). Wrong PINs are limited
 * per registration number and per client address, counted in the database so every API process
 * sees the same failures.
 */
export interface TrackingLimits {
  perRegistration: number;
  perClient: number;
  windowSeconds: number;
}

/** 5 wrong PINs per registration number, 20 per client address, per 15 minutes. */
export const TRACKING_LIMITS: TrackingLimits = Object.freeze({ perRegistration: 5, perClient: 20, windowSeconds: 15 * 60 });

export class TooManyAttempts extends GrmsError {
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_ATTEMPTS', 429, 'too-many-attempts', 'Too many attempts', `Too many wrong PINs; try again in ${retryAfterSeconds} seconds`);
  }
}

/** One answer for an unknown registration number and a wrong PIN: nothing to enumerate. */
export const trackingNotFound = () =>
  new GrmsError('NOT_FOUND', 404, 'not-found', 'Not found', 'No application matches this registration number and PIN');

/** What a lookup found: the instance as far as a status page may need it. */
export interface TrackedInstance {
  registrationNumber: string;
  instanceId: string;
  workflow: string;
  state: string;
  data: Record<string, unknown>;
  registeredAt: string;
  lastChangeAt: string;
  /** The SLA due date when the deadlines module has one; null otherwise. */
  dueDate: string | null;
  /** The office that owns the instance, with its contacts (the org table; null where not set). */
  office: TrackedOffice;
}

/** The owning office as an applicant may contact it. */
export interface TrackedOffice {
  name: string;
  address: string | null;
  phone: string | null;
  email: string | null;
  website: string | null;
}

export interface TrackingQuery {
  registrationNumber: unknown;
  pin: unknown;
  clientIp: string;
}

/** The registration number (upper-cased) and PIN, or a 400 naming what is missing. */
export function parseTrackingQuery(q: { registrationNumber: unknown; pin: unknown }): { registration: string; pin: string } {
  const problems: FieldProblem[] = [];
  const text = (v: unknown, path: string, max: number) => {
    if (typeof v !== 'string' || v.trim() === '' || v.length > max || !v.isWellFormed() || v.includes('\u0000')) {
      problems.push({ path, message: `must be a non-empty string of at most ${max} characters` });
      return '';
    }
    return v.trim();
  };
  const registration = text(q.registrationNumber, '/registrationNumber', 64).toUpperCase();
  const pin = text(q.pin, '/pin', 32);
  if (problems.length) throw badRequest('Give the registration number and the PIN from the receipt', problems);
  return { registration, pin };
}

/**
 * Looks an instance of `workflow` (undefined: of any workflow, the number alone names it) up by
 * registration number and PIN. Every lookup first records an
 * attempt and counts the attempts of the window including its own, so concurrent guesses cannot
 * slip past the limit; the record is removed again unless the PIN was wrong.
 */
export async function publicLookup(db: Kysely<Database>, workflow: string | undefined, q: TrackingQuery, limits: TrackingLimits = TRACKING_LIMITS): Promise<TrackedInstance> {
  const { registration, pin } = parseTrackingQuery(q);
  const clientIp = q.clientIp.slice(0, 100);
  const attempt = await db.insertInto('tracking_failures').values({ registration_number: registration, client_ip: clientIp })
    .returning('id').executeTakeFirstOrThrow();
  const forget = () => db.deleteFrom('tracking_failures').where('id', '=', attempt.id).execute();
  const window = sql<Date>`now() - make_interval(secs => ${limits.windowSeconds})`;
  const seconds = (oldest: unknown) => sql<number>`ceil(extract(epoch FROM ${oldest} + make_interval(secs => ${limits.windowSeconds}) - now()))`;
  const counts = (await sql<{ reg: string | number; ip: string | number; reg_wait: number | null; ip_wait: number | null }>`
    SELECT count(*) FILTER (WHERE registration_number = ${registration}) AS reg,
           count(*) FILTER (WHERE client_ip = ${clientIp}) AS ip,
           ${seconds(sql`min(created_at) FILTER (WHERE registration_number = ${registration})`)} AS reg_wait,
           ${seconds(sql`min(created_at) FILTER (WHERE client_ip = ${clientIp})`)} AS ip_wait
      FROM tracking_failures
     WHERE created_at > ${window} AND (registration_number = ${registration} OR client_ip = ${clientIp})`.execute(db)).rows[0]!;
  const waits: number[] = [];
  if (Number(counts.reg) > limits.perRegistration) waits.push(Number(counts.reg_wait ?? limits.windowSeconds));
  if (Number(counts.ip) > limits.perClient) waits.push(Number(counts.ip_wait ?? limits.windowSeconds));
  if (waits.length) {
    await forget();
    throw new TooManyAttempts(Math.max(1, ...waits));
  }

  const found = await findRegistration(db, workflow, registration);
  // The hash is checked (against a dummy when the number is unknown) in constant time either way.
  if (!(await verifyPin(pin, found?.pin_hash)) || !found) {
    // A failure counts for the window only: the client address is kept no longer than that.
    await db.deleteFrom('tracking_failures').where('created_at', '<=', window).execute();
    throw trackingNotFound();
  }
  await forget();
  return trackedOf(db, found);
}

/**
 * The lookup for an official who holds the instance (`holds` says whether the caller may read it:
 * the desk printing a receipt). The PIN is checked, but neither counted nor limited: an applicant's
 * limit, run up by strangers guessing, must not stop the office that holds the file, and its typing
 * errors must not lock the applicant out. Unknown, not held and wrong PIN get the same 404.
 */
export async function heldLookup(
  db: Kysely<Database>, workflow: string, q: { registrationNumber: unknown; pin: unknown }, holds: (instanceId: string) => Promise<boolean>,
): Promise<TrackedInstance> {
  const { registration, pin } = parseTrackingQuery(q);
  const found = await findRegistration(db, workflow, registration);
  const held = found ? await holds(found.id) : false;
  if (!(await verifyPin(pin, held ? found?.pin_hash : undefined)) || !found || !held) throw trackingNotFound();
  return trackedOf(db, found);
}

/**
 * The instance behind a registration already proven (a browser that gave the number and PIN a
 * moment ago: src/web/pages/public-status.ts); undefined when it is gone.
 */
export async function provenLookup(db: Kysely<Database>, registration: string, instanceId: string): Promise<TrackedInstance | undefined> {
  const found = await findRegistration(db, undefined, registration);
  return found && found.id === instanceId ? trackedOf(db, found) : undefined;
}

type Registration = NonNullable<Awaited<ReturnType<typeof findRegistration>>>;

function findRegistration(db: Kysely<Database>, workflow: string | undefined, registration: string) {
  return db.selectFrom('tracking_registrations as r').innerJoin('workflow_instances as i', 'i.id', 'r.instance_id')
    .innerJoin('orgs as o', 'o.id', 'i.org_id')
    .select(['r.registration_number', 'r.pin_hash', 'i.id', 'i.workflow', 'i.state', 'i.data', 'i.created_at', 'i.updated_at'])
    .select(['o.name as office_name', 'o.address as office_address', 'o.phone as office_phone', 'o.email as office_email', 'o.website as office_website'])
    .where('r.registration_number', '=', registration)
    .$if(workflow !== undefined, (q) => q.where('i.workflow', '=', workflow!)).executeTakeFirst();
}

async function trackedOf(db: Kysely<Database>, found: Registration): Promise<TrackedInstance> {
  return {
    registrationNumber: found.registration_number,
    instanceId: found.id,
    workflow: found.workflow,
    state: found.state,
    data: found.data,
    registeredAt: found.created_at.toISOString(),
    lastChangeAt: found.updated_at.toISOString(),
    dueDate: await dueDateOf(db, found.id),
    office: { name: found.office_name, address: found.office_address, phone: found.office_phone, email: found.office_email, website: found.office_website },
  };
}

/**
 * The SLA due date from the deadlines table (src/sla), preferring the whole-workflow deadline.
 * Deployments whose schema has no deadlines table yet answer null.
 */
async function dueDateOf(db: Kysely<Database>, instanceId: string): Promise<string | null> {
  const table = await sql<{ t: string | null }>`SELECT to_regclass('deadlines')::text AS t`.execute(db);
  if (!table.rows[0]?.t) return null;
  const r = await sql<{ due: string }>`
    SELECT grms_ts(due_at) AS due FROM deadlines WHERE instance_id = ${instanceId} AND due_at IS NOT NULL
     ORDER BY (kind = 'overall') DESC LIMIT 1`.execute(db);
  return r.rows[0]?.due ?? null;
}
