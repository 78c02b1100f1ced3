import crypto from 'node:crypto';
import { independentCosignatureTime } from './support/independent-cosignature';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { availableBackends, createTestDb, describeBackends } from './support/db';
import { appendEvents, seedInstance, tamper } from './support/audit-fixtures';
import { initWitness, serveWitness, type ServedWitness } from './support/witness';
import type { Db, DbKind } from '../src/db/connect';
import { loadConfig } from '../src/config';
import { addCheckpoint } from '../src/audit/witness/client';
import { parseWitnesses } from '../src/audit/log/witness-list';
import { integrateAndCheckpoint, logStatus, openTransparencyLog, type TransparencyLog } from '../src/audit/log/service';
import { cosignedCheckpoint } from '../src/audit/log/checkpoint';
import { integrateAll } from './support/log-fixtures';
import { logVerifierKey, verifyCheckpoint, type LogSigner } from '../src/audit/tlog';

/**
 * The log pushes its checkpoints to real `grms witness serve` processes (each with its own
 * folder): both cosign; the next checkpoint goes with a consistency proof from the size each last
 * cosigned; a witness whose size we lost is caught up after one 409; a database holding less than
 * a witness cosigned raises the fatal alarm and checkpointing stops; a rewritten log is refused.
 * Cosignatures are checked with the verifier below, written from C2SP signed-note and
 * tlog-cosignature with node:crypto only.
 */

const independentCosignatureCheck = independentCosignatureTime;

/** One log per backend, so the witnesses (keyed by origin) keep them apart. */
const LOGS: Record<DbKind, LogSigner> = {
  pglite: { origin: 'pglite.witness-test.example/log', privateKey: crypto.generateKeyPairSync('ed25519').privateKey },
  postgres: { origin: 'postgres.witness-test.example/log', privateKey: crypto.generateKeyPairSync('ed25519').privateKey },
};
const vkeyOf = (s: LogSigner) => logVerifierKey(s.origin, crypto.createPublicKey(s.privateKey));

const witnesses: Array<{ vkey: string; served: ServedWitness; dir: string }> = [];
beforeAll(async () => {
  for (const name of ['inspektorat.witness-test.example', 'kampus.witness-test.example']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witness-'));
    const vkey = initWitness(dir, name, availableBackends().map((k) => vkeyOf(LOGS[k])));
    witnesses.push({ vkey, served: await serveWitness(dir), dir });
  }
}, 300_000);
afterAll(async () => {
  for (const w of witnesses) {
    await w.served.stop();
    fs.rmSync(w.dir, { recursive: true, force: true });
  }
});

function openLog(db: Db, kind: DbKind): TransparencyLog {
  const env = { GRMS_LOG_ORIGIN: LOGS[kind].origin, GRMS_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.served.url}`).join('; ') };
  return openTransparencyLog(db.kysely, LOGS[kind].privateKey, loadConfig(env).log, addCheckpoint);
}

describeBackends('checkpoints pushed to real witnesses', (kind) => {
  let db: Db;
  let log: TransparencyLog;
  let instance: string;
  beforeAll(async () => {
    db = await createTestDb(kind);
    log = openLog(db, kind);
    instance = await seedInstance(db.kysely);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  const names = () => witnesses.map((w) => parseWitnesses(`${w.vkey} http://x`)[0]!.name);

  test('both witnesses cosign; the stored cosignatures verify independently and meet the quorum', async () => {
    await appendEvents(db.kysely, instance, 1, 3);
    await integrateAll(db.kysely);
    const round = await integrateAndCheckpoint(log);
    expect(round.checkpoint).toMatchObject({ size: 3, created: true });
    expect(round.witnesses).toEqual(names().map((witness) => expect.objectContaining({ witness, ok: true, cosignedSize: 3 })));
    expect(round.quorumMet).toBe(true);
    const cp = (await cosignedCheckpoint(db.kysely))!;
    expect(cp.cosigned.sort()).toEqual(names().sort());
    const body = cp.note.slice(0, cp.note.indexOf('\n\n') + 1);
    const lines = cp.note.slice(cp.note.indexOf('\n\n') + 2).trimEnd().split('\n');
    expect(lines).toHaveLength(3); // the log's signature and two cosignatures
    for (const w of witnesses) {
      const now = Math.floor(Date.now() / 1000);
      const times = lines.map((l) => independentCosignatureCheck(body, l, w.vkey)).filter((t) => t !== null);
      expect(times).toHaveLength(1);
      expect(Math.abs(times[0]! - now)).toBeLessThan(600);
    }
    expect(verifyCheckpoint(cp.note, log.policy)).toMatchObject({ quorumMet: true, cosigners: ['w1', 'w2'] });
    expect((await logStatus(log)).witnesses).toEqual(names().map((name) => ({ name, cosignedSize: 3 })));
    // Nothing new: no checkpoint, no push.
    expect(await integrateAndCheckpoint(log)).toMatchObject({ checkpoint: { created: false }, witnesses: names().map((witness) => expect.objectContaining({ ok: true, detail: 'already cosigned' })) });
  });

  test('the next checkpoint goes with a consistency proof from what each witness cosigned', async () => {
    await appendEvents(db.kysely, instance, 4, 9);
    await integrateAll(db.kysely);
    const round = await integrateAndCheckpoint(log);
    expect(round.checkpoint).toMatchObject({ size: 9, previousSize: 3 });
    expect(round.witnesses.every((w) => w.ok && w.cosignedSize === 9 && w.status === 200)).toBe(true);
  });

  test('a witness whose cosignature we lost answers 409 with its size; one retry from there succeeds', async () => {
    const first = names()[0]!;
    await tamper(db.kysely, () => sql`DELETE FROM log_cosignatures WHERE witness = ${first}`.execute(db.kysely), 'log_cosignatures');
    await appendEvents(db.kysely, instance, 10, 10);
    await integrateAll(db.kysely);
    const round = await integrateAndCheckpoint(log);
    expect(round.witnesses.find((w) => w.witness === first)).toMatchObject({ ok: true, cosignedSize: 10 });
    expect(await db.kysely.selectFrom('log_alarms').select('kind').execute()).toEqual([]);
  });

  test('a database holding less than the witnesses cosigned: fatal alarm, checkpointing stops', async () => {
    // The same log (key and origin) on an empty database: what a wiped database looks like.
    const wiped = await createTestDb(kind);
    try {
      const again = openLog(wiped, kind);
      await appendEvents(wiped.kysely, await seedInstance(wiped.kysely), 1, 2);
      await integrateAll(wiped.kysely);
      const round = await integrateAndCheckpoint(again);
      expect(round.checkpoint).toMatchObject({ size: 2, created: true });
      expect(round.witnesses).toEqual(names().map((witness) => expect.objectContaining({ witness, ok: false, fatal: true, status: 409, cosignedSize: 10 })));
      const alarms = await wiped.kysely.selectFrom('log_alarms').select(['kind', 'fatal', 'tree_size', 'reported_size']).execute();
      expect(alarms).toEqual(names().map(() => ({ kind: 'witness-ahead', fatal: true, tree_size: 2, reported_size: 10 })));
      expect(await logStatus(again)).toMatchObject({ halted: { reportedSize: 10 }, quorumMet: false });
      await appendEvents(wiped.kysely, await seedInstance(wiped.kysely), 1, 1);
      await expect(integrateAndCheckpoint(again)).rejects.toMatchObject({ code: 'LOG_HALTED', status: 409 });
      await integrateAll(wiped.kysely);
      expect(await wiped.kysely.selectFrom('log_checkpoints').select('size').execute()).toEqual([{ size: 2 }]);

      // Grown past the witnesses' size, but not the same tree: they refuse, and it is recorded.
      const id = await seedInstance(wiped.kysely);
      await appendEvents(wiped.kysely, id, 1, 12);
      await integrateAll(wiped.kysely);
      const refused = await integrateAndCheckpoint(again);
      expect(refused.checkpoint).toMatchObject({ created: true });
      expect(refused.witnesses.every((w) => !w.ok && w.status === 422)).toBe(true);
      expect(refused.quorumMet).toBe(false);
      expect((await wiped.kysely.selectFrom('log_alarms').select(['kind', 'fatal']).where('kind', '=', 'witness-refused').execute()).length).toBe(2);
    } finally {
      await wiped.close();
    }
  });
});
