import crypto, { type KeyObject } from 'node:crypto';
import { independentCosignatureTime, noteBody } from './support/independent-cosignature';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { leafHash } from '../src/audit/tlog/hash';
import { consistencyProof, memoryNodes, rootOf } from '../src/audit/tlog/proofs';
import { logVerifierKey, signCheckpoint } from '../src/audit/tlog/checkpoint';
import { parseNote, parseVerifierKey } from '../src/audit/tlog/note';
import { verifyCosignature } from '../src/audit/tlog/cosignature';
import { addCheckpoint, WitnessUnreachable, type AddCheckpointResult } from '../src/audit/witness/client';
import { initWitness, serveWitness, type ServedWitness } from './support/witness';

/**
 * Real `grms witness serve` processes, each with its own folder, fed by a log built in memory here.
 * Every cosignature is also checked by `independentCosignatureCheck` below, written from C2SP
 * signed-note and tlog-cosignature with node:crypto only.
 */

const ORIGIN = 'grms.test.example/log';
const WITNESS = 'witness.test.example/w1';

// The independent verifier (no grms module): test/support/independent-cosignature.ts.
const independentCosignatureCheck = (note: string, line: string, vkey: string) => independentCosignatureTime(noteBody(note), line, vkey);

// ---- the log, in memory ----
const logPair = crypto.generateKeyPairSync('ed25519');
const LOG_VKEY = logVerifierKey(ORIGIN, logPair.publicKey);

const leaves = (n: number, tag = 'row') => Array.from({ length: n }, (_, i) => leafHash(`${tag} ${i}`));
function checkpointOf(tree: Buffer[], privateKey: KeyObject = logPair.privateKey, origin = ORIGIN): string {
  return signCheckpoint({ origin, size: tree.length, root: rootOf(tree), extensions: [] }, { origin, privateKey });
}
const proofOf = (oldSize: number, tree: Buffer[]) => (oldSize === 0 ? Promise.resolve([]) : consistencyProof(oldSize, tree.length, memoryNodes(tree)));

async function submit(w: ServedWitness, oldSize: number, tree: Buffer[], checkpoint = checkpointOf(tree)): Promise<AddCheckpointResult> {
  return addCheckpoint(w.url, { oldSize, proof: await proofOf(oldSize, tree), checkpoint });
}

/** Checks the cosignature both ways and that its time is the real clock's, in seconds. */
function expectCosigned(r: AddCheckpointResult, checkpoint: string, vkey: string, before: number, after: number): void {
  expect(r).toMatchObject({ ok: true });
  if (!r.ok) return;
  expect(r.cosignatures).toHaveLength(1);
  const time = independentCosignatureCheck(checkpoint, r.cosignatures[0]!, vkey);
  expect(time).not.toBeNull();
  expect(time!).toBeGreaterThanOrEqual(Math.floor(before / 1000));
  expect(time!).toBeLessThanOrEqual(Math.ceil(after / 1000));
  const sig = parseNote(`${checkpoint}${r.cosignatures[0]}\n`).signatures.at(-1)!;
  expect(verifyCosignature(parseNote(checkpoint).text, sig, parseVerifierKey(vkey))).toEqual({ timestamp: time });
}

function refusals(dir: string): Array<{ kind: string; status: number; checkpoint: string; oldSize: number; cosignedSize: number; message: string }> {
  const file = path.join(dir, 'state', 'refusals.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const rawPost = (w: ServedWitness, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${w.url}/add-checkpoint`, { method: 'POST', body, headers });

describe('grms witness serve (C2SP tlog-witness add-checkpoint)', () => {
  let root: string;
  let dir: string;
  let vkey: string;
  let witness: ServedWitness;
  // The honest log grows through these trees; `tree` is what the witness last cosigned.
  const history = leaves(40);
  let tree: Buffer[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witness-'));
    dir = path.join(root, 'w1');
    vkey = initWitness(dir, WITNESS, [LOG_VKEY]);
    witness = await serveWitness(dir);
  });
  afterAll(async () => {
    if (witness) await witness.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('cosigns the first checkpoint at old 0, then each extension with a valid consistency proof', async () => {
    for (const size of [5, 12, 16, 16, 21]) {
      const next = history.slice(0, size);
      const checkpoint = checkpointOf(next);
      const before = Date.now();
      const r = await submit(witness, tree.length, next, checkpoint);
      expectCosigned(r, checkpoint, vkey, before, Date.now());
      tree = next;
    }
    // The monitoring endpoint serves the latest cosigned checkpoint with both signatures.
    const hash = crypto.createHash('sha256').update(ORIGIN).digest('hex');
    const served = await fetch(`${witness.url}/${hash}/checkpoint`);
    expect(served.status).toBe(200);
    const note = await served.text();
    expect(note.startsWith(`${ORIGIN}\n21\n${rootOf(tree).toString('base64')}\n\n`)).toBe(true);
    const lines = note.trimEnd().split('\n').slice(-2);
    expect(lines[0]!.startsWith(`\u2014 ${ORIGIN} `)).toBe(true);
    expect(independentCosignatureCheck(note, lines[1]!, vkey)).not.toBeNull();
  });

  test('an old size other than the cosigned one gets 409 text/x.tlog.size with the cosigned size', async () => {
    const next = history.slice(0, 30);
    const res = await rawPost(witness, `old 12\n${(await proofOf(12, next)).map((h) => `${h.toString('base64')}\n`).join('')}\n${checkpointOf(next)}`);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await res.text()).toBe('21\n');
    expect(await submit(witness, 0, next)).toEqual({ ok: false, status: 409, size: 21, message: expect.any(String) });
    // A log that learnt the size this way resumes from it.
    expect(await submit(witness, 21, next)).toMatchObject({ ok: true });
    tree = next;
  });

  test('a rollback (a smaller tree) is refused and recorded', async () => {
    const smaller = history.slice(0, 20);
    expect(await submit(witness, 20, smaller)).toEqual({ ok: false, status: 409, size: 30, message: expect.any(String) });
    const r = await addCheckpoint(witness.url, { oldSize: 30, proof: [], checkpoint: checkpointOf(smaller) });
    expect(r).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('WITNESS_OLD_SIZE_TOO_LARGE') });
    const recorded = refusals(dir).filter((x) => x.kind === 'rollback');
    expect(recorded.map((x) => [x.status, x.oldSize, x.cosignedSize])).toEqual([[409, 20, 30], [400, 30, 30]]);
    expect(recorded[0]!.checkpoint).toBe(checkpointOf(smaller));
  });

  test('a fork (the cosigned size with another root) is refused with 409 and recorded', async () => {
    const forked = [...history.slice(0, 29), leafHash('another last row')];
    const checkpoint = checkpointOf(forked);
    expect(await submit(witness, 30, forked, checkpoint)).toEqual({ ok: false, status: 409, size: 30, message: expect.any(String) });
    const fork = refusals(dir).filter((x) => x.kind === 'fork');
    expect(fork).toHaveLength(1);
    expect(fork[0]).toMatchObject({ status: 409, oldSize: 30, cosignedSize: 30, checkpoint });
    expect(fork[0]!.message).toMatch(/two different trees/);
  });

  test('a rewritten leaf (a proof that does not verify from the cosigned root) gets 422 and is recorded', async () => {
    const rewritten = [...history.slice(0, 40)];
    rewritten[3] = leafHash('row 3, changed by the DBA');
    const r = await submit(witness, 30, rewritten);
    expect(r).toMatchObject({ ok: false, status: 422, message: expect.stringMatching(/does not verify.*WITNESS_INCONSISTENT/) });
    const bad = refusals(dir).filter((x) => x.kind === 'inconsistent');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ status: 422, oldSize: 30, cosignedSize: 30, checkpoint: checkpointOf(rewritten) });
    // A proof with a flipped byte, for the honest tree, is refused the same way.
    const honest = history.slice(0, 40);
    const proof = await proofOf(30, honest);
    proof[0] = Buffer.from(proof[0]!.map((b, i) => (i === 0 ? b ^ 1 : b)));
    expect(await addCheckpoint(witness.url, { oldSize: 30, proof, checkpoint: checkpointOf(honest) })).toMatchObject({ ok: false, status: 422 });
    // None of it moved the witness: the honest log still extends from 30.
    const before = Date.now();
    expectCosigned(await submit(witness, 30, honest), checkpointOf(honest), vkey, before, Date.now());
    tree = honest;
  });

  test('403 without a valid signature of the pinned log key, 404 for an unknown origin; neither is recorded', async () => {
    const recordedBefore = refusals(dir).length;
    const next = [...tree, ...leaves(2, 'more')];
    const impostor = crypto.generateKeyPairSync('ed25519');
    expect(await submit(witness, tree.length, next, checkpointOf(next, impostor.privateKey))).toMatchObject({ ok: false, status: 403, message: expect.stringContaining('WITNESS_BAD_SIGNATURE') });
    // The log's own key name and ID, with a signature that does not verify.
    const good = checkpointOf(next);
    const lines = good.split('\n');
    const sigLine = lines.at(-2)!;
    const sigBytes = Buffer.from(sigLine.split(' ')[2]!, 'base64');
    sigBytes[10]! ^= 0xff;
    lines[lines.length - 2] = `\u2014 ${ORIGIN} ${sigBytes.toString('base64')}`;
    expect(await submit(witness, tree.length, next, lines.join('\n'))).toMatchObject({ ok: false, status: 403 });
    expect(await submit(witness, 0, leaves(3), checkpointOf(leaves(3), logPair.privateKey, 'other.example/log'))).toMatchObject({ ok: false, status: 404, message: expect.stringContaining('WITNESS_UNKNOWN_LOG') });
    expect(refusals(dir)).toHaveLength(recordedBefore);
  });

  test('malformed bodies get 400, an oversized one 413 before it is read, a wrong method 405', async () => {
    const cp = checkpointOf(tree);
    expect((await rawPost(witness, `\n${cp}`)).status).toBe(400);
    expect((await rawPost(witness, `old 040\n\n${cp}`)).status).toBe(400);
    expect((await rawPost(witness, `old ${tree.length}\nnot base64\n\n${cp}`)).status).toBe(400);
    expect((await rawPost(witness, `old ${tree.length}\n${cp}`)).status).toBe(400); // no empty line before the checkpoint
    const tooMany = Array.from({ length: 64 }, () => `${crypto.randomBytes(32).toString('base64')}\n`).join('');
    const many = await rawPost(witness, `old ${tree.length}\n${tooMany}\n${cp}`);
    expect(many.status).toBe(400);
    expect(await many.json()).toMatchObject({ code: 'WITNESS_MALFORMED', detail: expect.stringMatching(/63/) });
    expect((await rawPost(witness, `old ${tree.length}\n\nnot a note\n`)).status).toBe(400);
    const big = await rawPost(witness, Buffer.alloc(65 * 1024, 'a'));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(`${witness.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${witness.url}/nothing-here`)).status).toBe(404);
  });

  test('two requests from the same old size race: one is cosigned, the other gets 409 with the new size', async () => {
    const a = history.slice(0, tree.length); // current
    const b1 = [...a, ...leaves(3, 'race a')];
    const b2 = [...a, ...leaves(5, 'race b')];
    const results = await Promise.all([submit(witness, a.length, b1), submit(witness, a.length, b2)]);
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    const winner = results[0]!.ok ? b1 : b2;
    expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, status: 409, size: winner.length });
    tree = winner;
  });

  test('the cosigned state survives a restart; a second process on the same storage is refused', async () => {
    const second = await serveWitness(dir).then(
      (w) => w,
      (err: Error) => err,
    );
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toMatch(/WITNESS_STORAGE_LOCKED/);

    expect(await witness.stop()).toBe(0);
    witness = await serveWitness(dir);
    expect(await submit(witness, 0, tree)).toMatchObject({ ok: false, status: 409, size: tree.length });
    const next = [...tree, ...leaves(4, 'after restart')];
    const before = Date.now();
    expectCosigned(await submit(witness, tree.length, next), checkpointOf(next), vkey, before, Date.now());
    tree = next;
  });

  test('the client throws WitnessUnreachable when nothing listens', async () => {
    // A port that was free a moment ago and is closed again.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const closed = `http://127.0.0.1:${port}`;
    await expect(addCheckpoint(closed, { oldSize: 0, proof: [], checkpoint: checkpointOf(tree) })).rejects.toBeInstanceOf(WitnessUnreachable);
  });
});

describe('grms witness serve: a fresh witness', () => {
  let root: string;
  let dir: string;
  let vkey: string;
  let witness: ServedWitness;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witness-'));
    dir = path.join(root, 'w2');
    vkey = initWitness(dir, 'witness.test.example/w2', [LOG_VKEY]);
    witness = await serveWitness(dir);
  });
  afterAll(async () => {
    if (witness) await witness.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('from old 0 a proof must be empty, a size-0 checkpoint needs the empty root, old > size is 400; then the empty tree is cosigned', async () => {
    const tree = leaves(7);
    const proof = await consistencyProof(3, 7, memoryNodes(tree));
    expect(await addCheckpoint(witness.url, { oldSize: 0, proof, checkpoint: checkpointOf(tree) })).toMatchObject({ ok: false, status: 422 });
    const emptyWithRoot = signCheckpoint({ origin: ORIGIN, size: 0, root: rootOf(tree), extensions: [] }, { origin: ORIGIN, privateKey: logPair.privateKey });
    expect(await addCheckpoint(witness.url, { oldSize: 0, proof: [], checkpoint: emptyWithRoot })).toMatchObject({ ok: false, status: 422 });
    expect(await addCheckpoint(witness.url, { oldSize: 8, proof: [], checkpoint: checkpointOf(tree) })).toMatchObject({ ok: false, status: 400 });
    expect(refusals(dir).map((r) => [r.kind, r.status])).toEqual([['inconsistent', 422], ['inconsistent', 422], ['old-exceeds-new', 400]]);
    const empty = checkpointOf([]);
    const before = Date.now();
    expectCosigned(await addCheckpoint(witness.url, { oldSize: 0, proof: [], checkpoint: empty }), empty, vkey, before, Date.now());
    // Same size, same root: cosigned again (a fresh time), nothing recorded.
    expectCosigned(await addCheckpoint(witness.url, { oldSize: 0, proof: [], checkpoint: empty }), empty, vkey, before, Date.now());
    expect(refusals(dir)).toHaveLength(3);
  });
});
