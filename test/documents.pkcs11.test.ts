import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends, createPostgresDatabase, createTestDb, dropPostgresDatabase } from './support/db';
import { startTestApp, PUBLIC_URL, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { grms } from './support/cli';
import { missingPdfTools, nssDbTrusting, opensslCmsVerify, opensslVerify, pdfsig, signerCertificateOf } from './support/pdf-tools';
import { SOFTHSM_MODULE, closeAllSessions, describeWithSoftHsm, initToken, inspectKeyInToken, softHsmConf } from './support/softhsm';
import { loadConfig } from '../src/config';
import { loadDocumentAuthority } from '../src/documents/authority';
import { verifyPdf } from '../src/documents/verify';
import { decryptSecret } from '../src/auth/secrets';
import { keyRowAad } from '../src/auth/deployment-keys';
import type { TokenKeyRef } from '../src/documents/pkcs11';

/**
 * The deployment seal's key in a PKCS#11 token (SoftHSM2 in a temporary SOFTHSM2_CONF folder):
 * generated inside the token, never readable out of it; the seal certificate issued by the
 * deployment CA for the token's public key; documents the seal signs (the auditor's report, made
 * in the signing threads, each with its own session) verified by grms, OpenSSL and pdfsig; and a
 * wrong module, key or PIN stopping the start with a PKCS11_CONFIG error. With
 * GRMS_PKCS11_USER_KEYS=true, users' keys too: generated in the token when a user's certificate is
 * issued, the certificate row keeping only the key's CKA_ID; users certified before keep their
 * file keys.
 */

const TOKEN = 'grms-seal';
const PIN = '731904';
const KEY = 'segel-dokumen';
const KEY_ID = '5e a1 00 01'.replace(/ /g, '');

describeWithSoftHsm('the deployment seal in a PKCS#11 token (SoftHSM2)', () => {
  let ref: TokenKeyRef;
  let tokenEnv: Record<string, string>;

  beforeAll(async () => {
    const conf = await softHsmConf();
    await initToken(TOKEN, PIN);
    ref = { module: SOFTHSM_MODULE, tokenLabel: TOKEN, pin: PIN, keyLabel: KEY, keyId: KEY_ID };
    tokenEnv = { GRMS_PKCS11_MODULE: SOFTHSM_MODULE, GRMS_PKCS11_TOKEN_LABEL: TOKEN, GRMS_PKCS11_PIN: PIN, GRMS_PKCS11_KEY_LABEL: KEY, GRMS_PKCS11_KEY_ID: KEY_ID };
    // As the README says: the key pair is generated inside the token (a process of its own, before
    // this one first uses the module: SoftHSM2 sees the tokens that exist when it initialises).
    generated = grms(['key', 'generate-in-token', '--bits', '2048'], { ...tokenEnv, SOFTHSM2_CONF: conf });
  });
  let generated: { status: number | null; stdout: string; stderr: string };

  test('grms generates the key in the token, which refuses to give out its private half', async () => {
    expect(generated.stderr).toBe('');
    expect(generated.status).toBe(0);
    const key = inspectKeyInToken(TOKEN, PIN, KEY);
    const spki = crypto.createPublicKey({ key: { kty: 'RSA', n: key.modulus.toString('base64url'), e: key.exponent.toString('base64url') }, format: 'jwk' })
      .export({ type: 'spki', format: 'der' });
    expect(generated.stdout).toContain(`public key SHA-256: ${crypto.createHash('sha256').update(spki).digest('hex')}`);
    // A second key under the same label and id is refused.
    const again = grms(['key', 'generate-in-token', '--bits', '2048'], { ...tokenEnv, SOFTHSM2_CONF: await softHsmConf() });
    expect(again.stderr).toContain('the token holds such a key already');
    expect(again.status).toBe(1);
    expect(key).toMatchObject({ sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true });
    expect(key.privateExponentRead).toBe('CKR_ATTRIBUTE_SENSITIVE');
    expect(key.modulus.length).toBe(256);
  });

  test('the settings are read from the environment and checked for form at start', () => {
    expect(loadConfig(tokenEnv).pkcs11).toEqual(ref);
    expect(loadConfig({}).pkcs11).toBeUndefined();
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_PIN: '' })).toThrow(/GRMS_PKCS11_PIN/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_SLOT: '1' })).toThrow(/exactly one of GRMS_PKCS11_SLOT/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_KEY_LABEL: '', GRMS_PKCS11_KEY_ID: '' })).toThrow(/GRMS_PKCS11_KEY_LABEL or GRMS_PKCS11_KEY_ID/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_KEY_ID: 'xyz' })).toThrow(/CKA_ID in hex/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_MODULE: 'libsofthsm2.so' })).toThrow(/absolute path/);
    expect(() => loadConfig({ GRMS_PKCS11_PIN: PIN })).toThrow(/without GRMS_PKCS11_MODULE/);
    expect(loadConfig(tokenEnv).pkcs11UserKeys).toBe(false);
    expect(loadConfig({ ...tokenEnv, GRMS_PKCS11_USER_KEYS: 'true' }).pkcs11UserKeys).toBe(true);
    expect(() => loadConfig({ GRMS_PKCS11_USER_KEYS: 'true' })).toThrow(/GRMS_PKCS11_USER_KEYS=true needs the token configured/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_USER_KEYS: 'yes' })).toThrow(/GRMS_PKCS11_USER_KEYS must be true or false/);
    expect(() => loadConfig({ ...tokenEnv, GRMS_PKCS11_USER_KEYS: 'true', GRMS_USER_P12_DIR: '/tmp' })).toThrow(/exclude each other/);
  });

  describeBackends('signing with the token', (kind) => {
    let app: TestApp;
    let instanceId: string;

    beforeAll(async () => {
      app = await startTestApp(kind, { env: tokenEnv });
      instanceId = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instanceId}/events`, { type: 'submit' });
    });
    afterAll(async () => {
      await app?.close();
    });

    const authorityConfig = (pkcs11: TokenKeyRef) => ({
      government: 'grms tests', trustAnchorsFile: undefined, caCertFile: undefined, caKeyFile: undefined, caP12File: undefined,
      caPassphrase: undefined, userP12Dir: undefined, userP12Passphrase: undefined, publicUrl: PUBLIC_URL, pkcs11,
    });

    test('the seal certificate is the deployment CA\'s, for the public key the token holds; no private key is stored', async () => {
      const seal = app.authority.seal;
      expect(seal.token).toEqual(ref);
      expect(seal.privateKeyPem).toBeUndefined();
      const token = inspectKeyInToken(TOKEN, PIN, KEY);
      const jwk = new crypto.X509Certificate(seal.certificatePem).publicKey.export({ format: 'jwk' });
      expect(Buffer.from(jwk.n!, 'base64url').equals(token.modulus)).toBe(true);
      expect(Buffer.from(jwk.e!, 'base64url').equals(token.exponent)).toBe(true);
      expect(opensslVerify(seal.certificatePem, app.authority.caCertificatePem)).toMatchObject({ ok: true });
      // The deployment_keys row keeps the certificate and a reference to the key: never its PIN.
      const rows = await app.db.kysely.selectFrom('deployment_keys').selectAll().where('name', 'like', 'document-seal-pkcs11-%').execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.certificate).toBe(seal.certificatePem);
      const reference = decryptSecret(app.masterKey, rows[0]!.private_key, keyRowAad(rows[0]!)).toString('utf8');
      expect(reference).toContain(TOKEN);
      expect(reference).not.toContain(PIN);
      // The next start finds the same certificate rather than issuing another.
      const again = await loadDocumentAuthority(app.db.kysely, app.masterKey, authorityConfig(ref));
      expect(again.seal.serial).toBe(seal.serial);
    });

    test('a document sealed in a signing thread verifies with grms, OpenSSL and pdfsig', async () => {
      const res = await fetch(`${app.url}/api/v1/instances/${instanceId}/audit.pdf`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
      expect(res.status).toBe(200);
      const pdf = Buffer.from(await res.arrayBuffer());
      const caPem = app.authority.caCertificatePem;
      expect(verifyPdf(pdf, app.authority.trustAnchorsPem)).toMatchObject({
        valid: true, subFilter: 'ETSI.CAdES.detached', signer: { name: app.authority.seal.name, serial: app.authority.seal.serial },
      });
      // The public verification endpoint says the same.
      expect((await app.call(undefined, 'POST', '/api/v1/verify', pdf, { 'content-type': 'application/pdf' })).body).toMatchObject({ valid: true });
      // The signature inside is the seal's certificate: the token's key made it.
      expect(signerCertificateOf(pdf).replace(/\s+/g, '')).toBe(app.authority.seal.certificatePem.replace(/\s+/g, ''));
      const cms = opensslCmsVerify(pdf, caPem);
      expect(cms.out).toContain('Verification successful');
      expect(cms.ok).toBe(true);
      if (missingPdfTools().length) {
        if (process.env.CI === 'true') throw new Error(`pdfsig/certutil missing: ${missingPdfTools().join(', ')}`);
        console.warn('!! SKIPPED: pdfsig check of the token-sealed document (poppler-utils, libnss3-tools not installed)');
        return;
      }
      const nss = nssDbTrusting([caPem]);
      try {
        const report = pdfsig(pdf, nss.dir);
        expect(report).toContain('Signature is Valid.');
        expect(report).toContain('Certificate is Trusted.');
      } finally {
        nss.cleanup();
      }
    });

    test('after the token lost every session of the process (a restart), the next document is sealed all the same', async () => {
      const sealed = async () => {
        const res = await fetch(`${app.url}/api/v1/instances/${instanceId}/audit.pdf`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
        expect(res.status).toBe(200);
        expect(verifyPdf(Buffer.from(await res.arrayBuffer()), app.authority.trustAnchorsPem)).toMatchObject({ valid: true, signer: { serial: app.authority.seal.serial } });
      };
      await sealed(); // the signing thread has its session
      closeAllSessions(TOKEN, PIN);
      await sealed();
    });

    test('a wrong module or key stops the start with a PKCS11_CONFIG error', async () => {
      await expect(loadDocumentAuthority(app.db.kysely, app.masterKey, authorityConfig({ ...ref, module: '/nonexistent/libpkcs11-none.so' })))
        .rejects.toMatchObject({ code: 'PKCS11_CONFIG', message: expect.stringContaining('cannot load the PKCS#11 module /nonexistent/libpkcs11-none.so') });
      await expect(loadDocumentAuthority(app.db.kysely, app.masterKey, authorityConfig({ ...ref, keyLabel: 'no-such-key' })))
        .rejects.toMatchObject({ code: 'PKCS11_CONFIG', message: expect.stringContaining('no such private key') });
      await expect(loadDocumentAuthority(app.db.kysely, app.masterKey, authorityConfig({ ...ref, tokenLabel: 'no-such-token' })))
        .rejects.toMatchObject({ code: 'PKCS11_CONFIG', message: expect.stringContaining('no token(s) labelled "no-such-token"') });
    });

    test('grms serve with a wrong PIN refuses to start and says why', async () => {
      // A process of its own: this one is logged in to the token already (a login is per process).
      const conf = await softHsmConf();
      const env: Record<string, string> = { ...tokenEnv, GRMS_PKCS11_PIN: '000000', SOFTHSM2_CONF: conf, GRMS_PUBLIC_URL: PUBLIC_URL };
      let cleanup: () => Promise<void>;
      if (kind === 'postgres') {
        const url = await createPostgresDatabase();
        Object.assign(env, { DATABASE_URL: url, GRMS_KEY: crypto.randomBytes(32).toString('base64') });
        cleanup = () => dropPostgresDatabase(url);
      } else {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-pkcs11-'));
        env.GRMS_DATA_DIR = dir;
        cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      }
      try {
        const r = grms(['serve'], env);
        expect(r.stderr).toContain('GRMS_PKCS11_PIN: the PIN is wrong for token "grms-seal"');
        expect(r.stderr).toContain('[PKCS11_CONFIG]');
        expect(r.stderr).not.toContain('000000');
        expect(r.status).toBe(1);
      } finally {
        await cleanup();
      }
    });
  });

  describeBackends('users\' keys in the token (GRMS_PKCS11_USER_KEYS=true)', (kind) => {
    let db: Awaited<ReturnType<typeof createTestDb>>;
    let app: TestApp | undefined;
    const masterKey = crypto.randomBytes(32);
    /** perencana.dinkes's certificate, issued with a file key before the setting was turned on. */
    let before: { serial: string; private_key: string | null };

    const activeRow = (username: string) => app!.db.kysely.selectFrom('user_certificates').selectAll()
      .where('username', '=', username).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    /** A proposal submitted by perencana.dinkes and approved by kadis.dinkes: two stage documents, one per signer. */
    const walk = async () => {
      const id = (await app!.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      expect((await app!.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      expect((await app!.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(200);
      const docs = await app!.db.kysely.selectFrom('documents').select(['bytes', 'signer_username']).where('instance_id', '=', id).orderBy('seq').execute();
      expect(docs.map((d) => d.signer_username)).toEqual(['perencana.dinkes', 'kadis.dinkes']);
      return { submitted: Buffer.from(docs[0]!.bytes), approved: Buffer.from(docs[1]!.bytes) };
    };

    beforeAll(async () => {
      db = await createTestDb(kind);
      // First without the setting: perencana.dinkes signs with a key grms made and stores (the default).
      app = await startTestApp(kind, { db, masterKey, env: tokenEnv });
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      before = await activeRow('perencana.dinkes');
      await app.close();
      // Then the same deployment with users' keys in the token.
      app = await startTestApp(kind, { db, masterKey, seed: false, env: { ...tokenEnv, GRMS_PKCS11_USER_KEYS: 'true' } });
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    test('a user certified now signs with a key generated in the token; the certificate row holds no key material', async () => {
      const { approved } = await walk();
      const row = await activeRow('kadis.dinkes');
      expect(row.private_key).toBeNull();
      expect(row.token_key_id).toBe(row.serial);
      // No column holds a key, nor an encrypted envelope of one.
      expect(Object.values(row).filter((v) => typeof v === 'string' && (/PRIVATE KEY/.test(v) || /^v[12]\./.test(v)))).toEqual([]);
      // The certificate is for the token's key, which the token keeps: sensitive, never extractable.
      const key = inspectKeyInToken(TOKEN, PIN, { id: row.token_key_id! });
      expect(key).toMatchObject({ sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true });
      expect(key.privateExponentRead).toBe('CKR_ATTRIBUTE_SENSITIVE');
      const jwk = new crypto.X509Certificate(row.certificate).publicKey.export({ format: 'jwk' });
      expect(Buffer.from(jwk.n!, 'base64url').equals(key.modulus)).toBe(true);
      expect(Buffer.from(jwk.e!, 'base64url').equals(key.exponent)).toBe(true);
      const caPem = app!.authority.caCertificatePem;
      expect(opensslVerify(row.certificate, caPem)).toMatchObject({ ok: true });
      // The stage document kadis.dinkes signed (in a signing thread, through its session with the token) verifies everywhere.
      expect(verifyPdf(approved, app!.authority.trustAnchorsPem)).toMatchObject({ valid: true, subFilter: 'ETSI.CAdES.detached', signer: { serial: row.serial } });
      expect((await app!.call(undefined, 'POST', '/api/v1/verify', approved, { 'content-type': 'application/pdf' })).body).toMatchObject({ valid: true });
      expect(signerCertificateOf(approved).replace(/\s+/g, '')).toBe(row.certificate.replace(/\s+/g, ''));
      const cms = opensslCmsVerify(approved, caPem);
      expect(cms.out).toContain('Verification successful');
      expect(cms.ok).toBe(true);
      if (missingPdfTools().length) {
        if (process.env.CI === 'true') throw new Error(`pdfsig/certutil missing: ${missingPdfTools().join(', ')}`);
        console.warn('!! SKIPPED: pdfsig check of the document signed with a user key in the token (poppler-utils, libnss3-tools not installed)');
        return;
      }
      const nss = nssDbTrusting([caPem]);
      try {
        const report = pdfsig(approved, nss.dir);
        expect(report).toContain('Signature is Valid.');
        expect(report).toContain('Certificate is Trusted.');
      } finally {
        nss.cleanup();
      }
    });

    test('a user certified before the setting keeps signing with the file key; the token user signs again with the same key, after a token restart too', async () => {
      const kadis = await activeRow('kadis.dinkes');
      closeAllSessions(TOKEN, PIN);
      const { submitted, approved } = await walk();
      const now = await activeRow('perencana.dinkes');
      expect(now).toMatchObject({ serial: before.serial, private_key: before.private_key, token_key_id: null });
      expect(now.private_key).toMatch(/^v[12]\./);
      expect(verifyPdf(submitted, app!.authority.trustAnchorsPem)).toMatchObject({ valid: true, signer: { serial: before.serial } });
      expect(opensslCmsVerify(submitted, app!.authority.caCertificatePem).ok).toBe(true);
      expect((await activeRow('kadis.dinkes')).serial).toBe(kadis.serial);
      expect(verifyPdf(approved, app!.authority.trustAnchorsPem)).toMatchObject({ valid: true, signer: { serial: kadis.serial } });
    });

    test('the row cannot be changed to point at another key, nor hold a key twice', async () => {
      const kadis = await activeRow('kadis.dinkes');
      await expect(app!.db.kysely.updateTable('user_certificates').set({ token_key_id: 'aa' }).where('id', '=', kadis.id).execute()).rejects.toThrow(/can only be revoked/);
      // A row keeps its key in one place at most.
      await expect(app!.db.kysely.insertInto('user_certificates')
        .values({ username: 'admin', serial: '7a', certificate: kadis.certificate, private_key: 'v2.x', token_key_id: '7a' }).execute())
        .rejects.toThrow(/user_certificates_one_key_place/);
    });
  });
});
