import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { grms } from './support/cli';
import { BUNDLE_FORMAT, verifyBundle, type EvidenceBundle } from '../src/audit/evidence/bundle';
import {
  cosign, cosignatureKey, formatTlogProof, inclusionProof, leafHash, logVerifierKey, memoryNodes, newEd25519Key, policyFromKeys, rootOf, signCheckpoint,
} from '../src/audit/tlog';

/**
 * Bundles built here from an in-memory log, the way the server builds them from its database, so
 * the offline verifier is tested on its own: every tampering an auditor could meet must fail a
 * named check, and the CLI must say so with its exit code.
 */
const origin = 'grms.test.go.id/log';
const logKeys = newEd25519Key();
const witnesses = [newEd25519Key(), newEd25519Key()];
const witnessNames = ['bpk.test.go.id/witness', 'inspektorat.test.go.id/witness'];
const logVkey = logVerifierKey(origin, logKeys.publicKey);
const witnessVkeys = witnesses.map((w, i) => cosignatureKey(witnessNames[i]!, w.publicKey));
const pdf = Buffer.from('%PDF-1.7 a signed document stand-in');

function documentEntry(overrides: Record<string, unknown> = {}): string {
  const row = {
    id: '5b0d6c1e-1f7d-4c3a-9f33-6a1e2b3c4d5e', instance_id: '0f9e8d7c-6b5a-4c3d-8e2f-1a2b3c4d5e6f', seq: 4, workflow: 'budget-proposal',
    event: 'RATIFY', stage: 'ratified', number: '900/0001/BAPPEDA/2026', title: 'Usulan Anggaran Jalan Desa', signer_name: 'Ir. Siti Rahma',
    sha256: crypto.createHash('sha256').update(pdf).digest('hex'), created_at: '2026-12-07T03:00:00.000000Z', ...overrides,
  };
  return canonicalize({ v: 1, source: 'documents', key: { id: row.id }, salt: 'a'.repeat(32), row })!;
}

async function makeBundle(opts: { cosigners?: number; entry?: string } = {}): Promise<EvidenceBundle> {
  const entry = opts.entry ?? documentEntry();
  const leaves = [leafHash('audit row 1'), leafHash('audit row 2'), leafHash(entry), leafHash('audit row 3'), leafHash('people row 1')];
  const checkpoint = signCheckpoint({ origin, size: leaves.length, root: rootOf(leaves), extensions: [] }, { origin, privateKey: logKeys.privateKey });
  const text = checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1);
  const cos = witnesses.slice(0, opts.cosigners ?? 2).map((w, i) => `${cosign(text, witnessNames[i]!, w.privateKey, 1_796_000_000 + i)}\n`).join('');
  const proof = formatTlogProof({ index: 2, proof: await inclusionProof(2, leaves.length, memoryNodes(leaves)), checkpoint: checkpoint + cos });
  const row = (JSON.parse(entry) as { row: Record<string, string> }).row;
  return {
    format: BUNDLE_FORMAT,
    document: { id: row.id!, number: row.number!, title: row.title!, stage: row.stage!, signer: row.signer_name!, sha256: row.sha256! },
    entry,
    proof,
  };
}

const policy = policyFromKeys(logVkey, witnessVkeys);
const failed = (v: ReturnType<typeof verifyBundle>) => v.checks.filter((c) => !c.ok).map((c) => c.check);

describe('evidence bundles verify offline against pinned keys', () => {
  test('a bundle with its PDF verifies, cosigned by both witnesses', async () => {
    const v = verifyBundle(await makeBundle(), policy, pdf);
    expect(v).toMatchObject({ ok: true, cosigners: ['w1', 'w2'], checkpoint: { origin, size: 5, index: 2 } });
    expect(v.checks.map((c) => c.check)).toEqual(['format', 'entry', 'pdf', 'log-signature', 'inclusion', 'witnesses']);
  });

  test('each tampering fails its own check', async () => {
    const good = await makeBundle();
    expect(failed(verifyBundle(good, policy, Buffer.concat([pdf, Buffer.from(' ')])))).toEqual(['pdf']);
    expect(failed(verifyBundle({ ...good, document: { ...good.document, title: 'Another title' } }, policy))).toEqual(['entry']);
    // A signer changed in the entry and in the document facts alike: the leaf is no longer in the tree.
    const forged = documentEntry({ signer_name: 'Someone Else' });
    expect(failed(verifyBundle({ ...good, entry: forged, document: { ...good.document, signer: 'Someone Else' } }, policy))).toEqual(['inclusion']);
    expect(failed(verifyBundle(good, policyFromKeys(logVerifierKey(origin, newEd25519Key().publicKey), witnessVkeys)))).toEqual(['log-signature']);
    expect(failed(verifyBundle(await makeBundle({ cosigners: 1 }), policy))).toEqual(['witnesses']);
    expect(verifyBundle(await makeBundle({ cosigners: 1 }), policyFromKeys(logVkey, witnessVkeys, 1)).ok).toBe(true);
    expect(failed(verifyBundle('{"format":"something-else"}', policy))).toEqual(['format']);
  });

  test('grms verify-bundle: exit 0 when verified, 1 when a check fails, 2 without keys', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-bundle-'));
    const file = path.join(dir, 'bukti.json');
    fs.writeFileSync(file, JSON.stringify(await makeBundle()));
    fs.writeFileSync(path.join(dir, 'doc.pdf'), pdf);
    fs.writeFileSync(path.join(dir, 'log.vkey'), `${logVkey}\n`);
    const keys = ['--log-key', path.join(dir, 'log.vkey'), ...witnessVkeys.flatMap((k) => ['--witness-key', k])];

    const ok = grms(['verify-bundle', file, '--pdf', path.join(dir, 'doc.pdf'), ...keys], {});
    expect(ok.stdout).toContain('VERIFIED');
    expect(ok.status).toBe(0);

    fs.writeFileSync(path.join(dir, 'other.pdf'), Buffer.from('%PDF-1.7 changed'));
    const bad = grms(['verify-bundle', file, '--pdf', path.join(dir, 'other.pdf'), ...keys], {});
    expect(bad.stdout).toMatch(/FAIL pdf/);
    expect(bad.status).toBe(1);

    const none = grms(['verify-bundle', file], {});
    expect(none.stderr).toMatch(/LOG_TRUST_MISSING/);
    expect(none.status).toBe(2);

    const policyFile = path.join(dir, 'policy.txt');
    fs.writeFileSync(policyFile, `log ${logVkey}\nwitness bpk ${witnessVkeys[0]}\nwitness insp ${witnessVkeys[1]}\ngroup both all bpk insp\nquorum both\n`);
    const viaPolicy = grms(['verify-bundle', file, '--policy', policyFile, '--json'], {});
    expect(JSON.parse(viaPolicy.stdout)).toMatchObject({ ok: true, cosigners: ['bpk', 'insp'] });
    expect(viaPolicy.status).toBe(0);
  });
});
