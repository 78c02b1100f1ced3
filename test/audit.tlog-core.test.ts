import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  appendNodes, consistencyProof, cosign, cosignatureKey, EMPTY_TREE_HASH, formatTlogProof, inclusionProof, inclusionProofs, leafHash, logVerifierKey,
  memoryNodes, newEd25519Key, nodeKey, openCheckpoint, parseCheckpointBody, parseNote, parsePolicy, parseTlogProof, parseVerifierKey,
  policyFromKeys, rootOf, signCheckpoint, treeRoot, TlogError, verifyCheckpoint, verifyConsistency, verifyInclusion,
} from '../src/audit/tlog';

interface Vectors {
  leafInputs: string[];
  rootHashes: string[];
  inclusion: Array<{ leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean; file: string }>;
  consistency: Array<{ size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean; file: string }>;
}
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/ct-vectors/rfc6962-probes.json'), 'utf8')) as Vectors;
const b64 = (s: string | null | undefined) => Buffer.from(s ?? '', 'base64');
const leaves = vectors.leafInputs.map((hex) => leafHash(Buffer.from(hex, 'hex')));

/**
 * A second verifier written from RFC 9162 §2.1.3.2 and C2SP tlog-cosignature / signed-note with
 * node:crypto only, so the library is not checked by itself.
 */
const independent = {
  h: (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest(),
  inclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
    // Recompute the root by walking down the RFC's recursive split, then back up with the proof.
    const sides: Array<'left' | 'right'> = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      if (index - lo < k) { sides.push('right'); hi = lo + k; } else { sides.push('left'); lo += k; }
    }
    if (sides.length !== proof.length) return false;
    let r = leaf;
    for (let i = proof.length - 1, j = 0; i >= 0; i--, j++) {
      r = sides[i] === 'right' ? independent.h(Buffer.from([1]), r, proof[j]!) : independent.h(Buffer.from([1]), proof[j]!, r);
    }
    return r.equals(root);
  },
  keyId(name: string, type: number, raw: Buffer): Buffer {
    return independent.h(Buffer.from(`${name}\n`), Buffer.from([type]), raw).subarray(0, 4);
  },
  cosignature(checkpointText: string, line: string, name: string, raw: Buffer): boolean {
    const [dash, who, sigB64] = line.split(' ');
    if (dash !== '\u2014' || who !== name) return false;
    const bytes = Buffer.from(sigB64!, 'base64');
    if (!bytes.subarray(0, 4).equals(independent.keyId(name, 4, raw))) return false;
    const time = bytes.readBigUInt64BE(4);
    const msg = Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointText}`);
    const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
    return crypto.verify(null, msg, key, bytes.subarray(12));
  },
};

describe('RFC 9162 tree against the Certificate Transparency reference vectors', () => {
  test('the root of every prefix of the reference leaves', async () => {
    for (let n = 0; n <= leaves.length; n++) {
      expect(rootOf(leaves.slice(0, n)).toString('hex')).toBe(vectors.rootHashes[n]);
      expect((await treeRoot(n, memoryNodes(leaves.slice(0, n)))).toString('hex')).toBe(vectors.rootHashes[n]);
    }
    expect(EMPTY_TREE_HASH.toString('hex')).toBe(vectors.rootHashes[0]);
  });

  test('every inclusion probe: happy paths verify, every corrupted proof is refused', () => {
    expect(vectors.inclusion.filter((p) => p.wantErr).length).toBeGreaterThan(50);
    for (const p of vectors.inclusion) {
      const ok = verifyInclusion(p.leafIdx, p.treeSize, b64(p.leafHash), (p.proof ?? []).map(b64), b64(p.root));
      expect({ file: p.file, ok }).toEqual({ file: p.file, ok: !p.wantErr });
    }
  });

  test('every consistency probe: happy paths verify, every corrupted proof is refused', () => {
    expect(vectors.consistency.filter((p) => p.wantErr).length).toBeGreaterThan(50);
    for (const p of vectors.consistency) {
      const ok = verifyConsistency(p.size1, p.size2, b64(p.root1), b64(p.root2), (p.proof ?? []).map(b64));
      expect({ file: p.file, ok }).toEqual({ file: p.file, ok: !p.wantErr });
    }
  });

  test('generated proofs equal the reference happy-path proofs', async () => {
    for (const p of vectors.inclusion.filter((v) => !v.wantErr)) {
      const proof = await inclusionProof(p.leafIdx, p.treeSize, memoryNodes(leaves.slice(0, p.treeSize)));
      expect(proof.map((h) => h.toString('base64'))).toEqual(p.proof ?? []);
    }
    for (const p of vectors.consistency.filter((v) => !v.wantErr)) {
      const proof = await consistencyProof(p.size1, p.size2, memoryNodes(leaves.slice(0, p.size2)));
      expect(proof.map((h) => h.toString('base64'))).toEqual(p.proof ?? []);
    }
  });
});

describe('proofs over larger trees', () => {
  const many = Array.from({ length: 70 }, (_, i) => leafHash(`entry ${i}`));

  test('every inclusion proof up to 70 leaves verifies, here and with an independent verifier; a wrong leaf does not', async () => {
    for (let n = 1; n <= many.length; n++) {
      const nodes = memoryNodes(many.slice(0, n));
      const root = rootOf(many.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, nodes);
        expect(verifyInclusion(i, n, many[i]!, proof, root)).toBe(true);
        expect(independent.inclusion(i, n, many[i]!, proof, root)).toBe(true);
        if (n > 1) expect(verifyInclusion(i, n, many[(i + 1) % n]!, proof, root)).toBe(false);
      }
    }
  });

  test('inclusionProofs (many leaves at once, one fetch) gives the proofs inclusionProof gives, in any order', async () => {
    for (let n = 1; n <= many.length; n++) {
      const nodes = memoryNodes(many.slice(0, n));
      let fetches = 0;
      const counted: typeof nodes = (ids) => {
        fetches++;
        return nodes(ids);
      };
      const indexes = Array.from({ length: n }, (_, i) => (i * 7) % n).reverse();
      const together = await inclusionProofs(indexes, n, counted);
      expect(fetches).toBe(n === 1 ? 0 : 1); // a tree of one leaf needs no node
      for (const [k, i] of indexes.entries()) expect(together[k]).toEqual(await inclusionProof(i, n, nodes));
    }
    await expect(inclusionProofs([3], 3, memoryNodes(many.slice(0, 3)))).rejects.toThrow(RangeError);
  });

  test('every consistency proof up to 70 leaves verifies; a rewritten old leaf breaks it', async () => {
    for (let n = 1; n <= many.length; n++) {
      const nodes = memoryNodes(many.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const proof = await consistencyProof(m, n, nodes);
        const oldRoot = rootOf(many.slice(0, m));
        // RFC 9162 has nothing to prove from the empty tree: the witness protocol handles old 0 itself.
        expect(verifyConsistency(m, n, oldRoot, rootOf(many.slice(0, n)), proof)).toBe(m > 0);
        if (m > 0 && m < n) {
          const forked = [...many.slice(0, m - 1), leafHash('rewritten')];
          expect(verifyConsistency(m, n, rootOf(forked), rootOf(many.slice(0, n)), proof)).toBe(false);
        }
      }
    }
  });

  test('appendNodes builds the same complete subtrees as hashing from scratch, batch by batch', async () => {
    const stored = new Map<string, Buffer>();
    const fetch = async (ids: Array<{ level: number; index: number }>) => new Map(ids.map((id) => [nodeKey(id), stored.get(nodeKey(id))!] as const));
    let size = 0;
    for (const batch of [1, 2, 5, 1, 13, 8, 40]) {
      const added = many.slice(size, size + batch);
      added.forEach((h, i) => stored.set(nodeKey({ level: 0, index: size + i }), h));
      for (const n of await appendNodes(size, added, fetch)) stored.set(nodeKey(n), n.hash);
      size += batch;
      expect((await treeRoot(size, fetch)).equals(rootOf(many.slice(0, size)))).toBe(true);
    }
    const reference = memoryNodes(many.slice(0, size));
    const levels = [...stored.keys()].map((k) => ({ level: Number(k.split('/')[0]), index: Number(k.split('/')[1]) }));
    const expected = await reference(levels);
    for (const [k, h] of expected) expect(stored.get(k)!.equals(h)).toBe(true);
  });
});

describe('signed notes, checkpoints and cosignatures (C2SP)', () => {
  test('the signed-note example of the specification verifies with its vkey', () => {
    const vkey = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const note = parseNote(
      'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n',
    );
    expect(note.signatures[0]!.keyId.equals(vkey.keyId)).toBe(true);
    expect(crypto.verify(null, Buffer.from(note.text), vkey.publicKey, note.signatures[0]!.signature)).toBe(true);
  });

  test('a checkpoint signed by the log and cosigned by two witnesses meets a 2-of-2 policy, checked twice', () => {
    const log = newEd25519Key();
    const w1 = newEd25519Key();
    const w2 = newEd25519Key();
    const origin = 'grms.example.go.id/log';
    const body = { origin, size: 8, root: rootOf(leaves), extensions: [] };
    const signed = signCheckpoint(body, { origin, privateKey: log.privateKey });
    const text = signed.slice(0, signed.indexOf('\n\n') + 1);
    expect(text).toBe(`${origin}\n8\n${rootOf(leaves).toString('base64')}\n`);
    const c1 = cosign(text, 'w1.example', w1.privateKey, 1_700_000_000);
    const c2 = cosign(text, 'w2.example', w2.privateKey, 1_700_000_001);
    const full = `${signed}${c1}\n${c2}\n`;
    const logKey = logVerifierKey(origin, log.publicKey);
    const policy = policyFromKeys(logKey, [cosignatureKey('w1.example', w1.publicKey), cosignatureKey('w2.example', w2.publicKey)]);
    const verdict = verifyCheckpoint(full, policy);
    expect(verdict).toMatchObject({ quorumMet: true, cosigners: ['w1', 'w2'], badCosigners: [] });
    expect(verdict.body.size).toBe(8);

    const raw = (k: crypto.KeyObject) => Buffer.from(k.export({ type: 'spki', format: 'der' }).subarray(12));
    expect(independent.cosignature(text, c1, 'w1.example', raw(w1.publicKey))).toBe(true);
    expect(independent.cosignature(text, c2, 'w2.example', raw(w2.publicKey))).toBe(true);
    expect(independent.cosignature(text.replace('\n8\n', '\n9\n'), c1, 'w1.example', raw(w1.publicKey))).toBe(false);

    // One cosignature short of the quorum; a cosignature over another checkpoint counts as bad.
    expect(verifyCheckpoint(`${signed}${c1}\n`, policy).quorumMet).toBe(false);
    const other = cosign(`${origin}\n9\n${rootOf(leaves).toString('base64')}\n`, 'w2.example', w2.privateKey, 1);
    expect(verifyCheckpoint(`${signed}${c1}\n${other}\n`, policy)).toMatchObject({ quorumMet: false, badCosigners: ['w2'] });
    expect(verifyCheckpoint(`${signed}${c1}\n`, policyFromKeys(logKey, policy.witnesses.size ? [...policy.witnesses.values()].map((k) => k.text) : [], 'any')).quorumMet).toBe(true);
  });

  test('a checkpoint is refused under another log key, with its body altered, or with a foreign origin', () => {
    const log = newEd25519Key();
    const origin = 'grms.example.go.id/log';
    const signed = signCheckpoint({ origin, size: 1, root: leaves[0]!, extensions: [] }, { origin, privateKey: log.privateKey });
    const key = parseVerifierKey(logVerifierKey(origin, log.publicKey));
    expect(openCheckpoint(signed, key).body.size).toBe(1);
    const dba = parseVerifierKey(logVerifierKey(origin, newEd25519Key().publicKey));
    expect(() => openCheckpoint(signed, dba)).toThrow(TlogError);
    expect(() => openCheckpoint(signed.replace('\n1\n', '\n2\n'), key)).toThrow(/does not verify/);
    const elsewhere = signCheckpoint({ origin: 'other/log', size: 1, root: leaves[0]!, extensions: [] }, { origin: 'other/log', privateKey: log.privateKey });
    expect(() => openCheckpoint(elsewhere, key)).toThrow(/origin/);
  });

  test('malformed checkpoints and keys are refused with TLOG_FORMAT', () => {
    for (const text of ['o\n01\nAAAA\n', 'o\n1\n', 'o\n1\nnot-base64\n', 'o\n-1\n' + leaves[0]!.toString('base64') + '\n', '\n1\n' + leaves[0]!.toString('base64') + '\n']) {
      expect(() => parseCheckpointBody(text)).toThrow(expect.objectContaining({ code: 'TLOG_FORMAT' }));
    }
    expect(() => parseVerifierKey('name+00000000+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k')).toThrow(/does not match/);
    expect(() => parseNote('text\n\n\u2014 a AAAA\u0001\n')).toThrow(TlogError);
  });
});

describe('tlog-policy and tlog-proof formats', () => {
  test('groups with thresholds nest as the specification describes', () => {
    const log = logVerifierKey('log.example/a', newEd25519Key().publicKey);
    const w = Array.from({ length: 6 }, (_, i) => cosignatureKey(`w${i}.example`, newEd25519Key().publicKey));
    const policy = parsePolicy(
      [`log ${log}`, ...w.map((k, i) => `witness ${i < 3 ? 'X' : 'Y'}${i % 3} ${k}`), '# two organisations',
        'group X 2 X0 X1 X2', 'group Y any Y0 Y1 Y2', 'group XY all X Y', 'quorum XY'].join('\n'),
    );
    expect(policy.groups.get('X')!.threshold).toBe(2);
    expect(() => parsePolicy(`log ${log}\nquorum X\n`)).toThrow(/not defined/);
    expect(() => parsePolicy(`log ${log}\nwitness A ${w[0]}\nwitness B ${w[0]}\nquorum A\n`)).toThrow(/twice/);
    expect(() => parsePolicy(`log ${log}\n`)).toThrow(/quorum/);
    expect(() => parsePolicy(`log ${w[0]}\nquorum none\n`)).toThrow(/Ed25519/);
  });

  test('a tlog proof round-trips and carries what an offline verifier needs', async () => {
    const log = newEd25519Key();
    const origin = 'grms.example.go.id/log';
    const checkpoint = signCheckpoint({ origin, size: 8, root: rootOf(leaves), extensions: [] }, { origin, privateKey: log.privateKey });
    const proof = await inclusionProof(5, 8, memoryNodes(leaves));
    const text = formatTlogProof({ extra: Buffer.from('salted entry'), index: 5, proof, checkpoint });
    expect(text.startsWith('c2sp.org/tlog-proof@v1\nextra ')).toBe(true);
    const back = parseTlogProof(text);
    expect(back.index).toBe(5);
    expect(back.extra!.toString()).toBe('salted entry');
    const { body } = openCheckpoint(back.checkpoint, parseVerifierKey(logVerifierKey(origin, log.publicKey)));
    expect(verifyInclusion(back.index, body.size, leaves[5]!, back.proof, body.root)).toBe(true);
    expect(() => parseTlogProof(text.replace('index 5', 'index 05'))).toThrow(TlogError);
  });
});
