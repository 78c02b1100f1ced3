/**
 * Terminology:
 * - registration: the first start that runs a workflow version stores its fingerprint
 *   (src/engine/fingerprint.ts) in workflow_definitions; every later start compares, so a version
 *   edited in place (instead of given a new number, which would leave running instances on the
 *   old behaviour) is refused before anything runs.
 * - fix: a security or correctness fix that must reach running instances changes a version in
 *   place on purpose; the migration shipping it records the fingerprint it replaces, the new one
 *   and a reason in workflow_definition_fixes, and registration follows such records from the
 *   stored value to the code's.
 * - legacy registration: a row written before fingerprints (form 'definition-hash', a hash of the
 *   compiled behaviour, migrations/0037_workflow_fingerprints.sql). It is accepted once when its
 *   hash, after following the fixes, is one grms released for that version
 *   (workflow_released_hashes), and is then registered again with the version's fingerprint.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { ADVISORY, advisoryXactLock } from '../db/advisory';

/** A stored version whose registration differs from the code's, with the message an operator can act on. */
export interface ChangedDefinition {
  workflow: string;
  version: number;
  storedHash: string;
  hash: string;
  message: string;
}

export class DefinitionChanged extends Error {
  readonly code = 'WORKFLOW_DEFINITION_CHANGED';
  constructor(readonly changed: ChangedDefinition[]) {
    super(changed.map((c) => c.message).join('\n'));
  }
}

/** One version as the code defines it. */
export interface VersionFingerprint {
  workflow: string;
  version: number;
  fingerprint: string;
}

export interface RegisteredVersion {
  workflow: string;
  version: number;
  /** The fingerprint (or, for a row not yet started since 0037, the old definition hash). */
  hash: string;
  registeredAt: Date;
  /** Instances (in any state) that run on this version. */
  instances: number;
}

/**
 * Records each unknown (workflow, version) with its fingerprint and refuses to go on when a known
 * one differs, naming every such version. Runs in one transaction under an advisory lock, so
 * several processes starting together register each version once.
 */
export async function registerFingerprints(db: Kysely<Database>, versions: readonly VersionFingerprint[]): Promise<void> {
  const wanted = new Map<string, VersionFingerprint>();
  for (const v of versions) {
    const key = `${v.workflow}@${v.version}`;
    if (wanted.has(key)) throw new Error(`workflow ${v.workflow} v${v.version} is given twice`);
    wanted.set(key, v);
  }
  if (wanted.size === 0) return;
  await db.transaction().execute(async (trx) => {
    await advisoryXactLock(trx, ADVISORY.workflowDefinitions);
    const stored = await trx.selectFrom('workflow_definitions').select(['workflow', 'version', 'hash', 'form']).execute();
    const known = new Map(stored.map((r) => [`${r.workflow}@${r.version}`, r]));
    const fixes = await trx.selectFrom('workflow_definition_fixes').select(['workflow', 'version', 'previous_hash', 'hash']).execute();
    const released = await trx.selectFrom('workflow_released_hashes').select(['workflow', 'version', 'hash']).execute();
    const moves: Array<{ workflow: string; version: number; from: string; steps: string[]; to: string }> = [];
    const newest = new Map<string, number>();
    for (const r of [...stored, ...wanted.values()]) newest.set(r.workflow, Math.max(newest.get(r.workflow) ?? 0, r.version));
    const changed: ChangedDefinition[] = [];
    const fresh: VersionFingerprint[] = [];
    for (const [key, w] of wanted) {
      const row = known.get(key);
      if (row === undefined) {
        fresh.push(w);
        continue;
      }
      if (row.form === 'fingerprint' && row.hash === w.fingerprint) continue;
      const ownFixes = fixes.filter((f) => f.workflow === w.workflow && f.version === w.version);
      if (row.form === 'fingerprint') {
        const steps = fixChain(ownFixes, row.hash, (h) => h === w.fingerprint);
        if (steps) {
          moves.push({ ...w, from: row.hash, steps, to: w.fingerprint });
          continue;
        }
      } else {
        const releasedHere = new Set(released.filter((r) => r.workflow === w.workflow && r.version === w.version).map((r) => r.hash));
        const steps = fixChain(ownFixes, row.hash, (h) => releasedHere.has(h));
        if (steps) {
          moves.push({ ...w, from: row.hash, steps, to: w.fingerprint });
          continue;
        }
      }
      const next = newest.get(w.workflow)! + 1;
      changed.push({
        workflow: w.workflow, version: w.version, storedHash: row.hash, hash: w.fingerprint,
        message:
          row.form === 'fingerprint'
            ? `workflow ${w.workflow} v${w.version} changed since it was first registered; give the change a new version number (v${next}, a new version file beside v${w.version})`
            : `workflow ${w.workflow} v${w.version} was registered with a definition hash no grms release had (${row.hash}); it cannot be matched to this code: run the version it was registered with, or give the change a new version number (v${next})`,
      });
    }
    if (changed.length > 0) throw new DefinitionChanged(changed);
    // No ON CONFLICT: under the lock no other process can have inserted these rows meanwhile.
    if (fresh.length > 0) {
      await trx.insertInto('workflow_definitions').values(fresh.map((f) => ({ workflow: f.workflow, version: f.version, hash: f.fingerprint, form: 'fingerprint' as const }))).execute();
    }
    for (const m of moves) await move(trx, m);
  });
}

async function move(trx: Transaction<Database>, m: { workflow: string; version: number; from: string; steps: string[]; to: string }): Promise<void> {
  await trx.updateTable('workflow_definitions').set({ hash: m.to, form: 'fingerprint' })
    .where('workflow', '=', m.workflow).where('version', '=', m.version).where('hash', '=', m.from).execute();
  if (m.steps.length === 0) return;
  await trx.updateTable('workflow_definition_fixes').set({ applied_at: sql<Date>`now()` })
    .where('workflow', '=', m.workflow).where('version', '=', m.version).where('previous_hash', 'in', m.steps).where('applied_at', 'is', null).execute();
}

/**
 * The previous hashes of the recorded fixes that lead from `from` to a value `arrived` accepts, in
 * order (empty when `from` is one); undefined when no chain of fixes does (changed some other way).
 */
function fixChain(fixes: ReadonlyArray<{ previous_hash: string; hash: string }>, from: string, arrived: (hash: string) => boolean): string[] | undefined {
  const next = new Map(fixes.map((f) => [f.previous_hash, f.hash]));
  const steps: string[] = [];
  for (let at = from; !arrived(at); at = next.get(at)!) {
    if (!next.has(at) || steps.includes(at)) return undefined;
    steps.push(at);
  }
  return steps;
}

/** Every registered version, oldest first per workflow, with how many instances run on it. */
export async function listRegisteredVersions(db: Kysely<Database>): Promise<RegisteredVersion[]> {
  const rows = await db
    .selectFrom('workflow_definitions as d')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('workflow_instances')
          .select(['workflow', 'workflow_version', sql<number>`count(*)::integer`.as('instances')])
          .groupBy(['workflow', 'workflow_version'])
          .as('i'),
      (join) => join.onRef('i.workflow', '=', 'd.workflow').onRef('i.workflow_version', '=', 'd.version'),
    )
    .select(['d.workflow', 'd.version', 'd.hash', 'd.registered_at', 'i.instances'])
    .orderBy('d.workflow')
    .orderBy('d.version')
    .execute();
  return rows.map((r) => ({ workflow: r.workflow, version: r.version, hash: r.hash, registeredAt: r.registered_at, instances: r.instances ?? 0 }));
}
