import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type * as Pkcs11Js from 'pkcs11js';

/**
 * SoftHSM2 tokens for tests (Debian's softhsm2: the module and softhsm2-util), kept in a temporary
 * folder named by a SOFTHSM2_CONF of their own, never in /var/lib/softhsm. Missing SoftHSM2 or the
 * pkcs11js addon skips loudly locally and fails under CI (CI=true).
 *
 * SoftHSM2 reads SOFTHSM2_CONF from the C environment once, when the module is first initialised
 * in a process (C_Initialize), and a process initialises it once: the folder must be named before
 * the first use in the process and stays for the process's life. Jest gives a test a copy of
 * process.env (setting it does not reach the C environment), so the variable is set from a
 * thread sharing the real environment (worker_threads' SHARE_ENV). Child processes get it in
 * their env.
 */
export const SOFTHSM_MODULE = process.env.GRMS_TEST_SOFTHSM_MODULE || '/usr/lib/softhsm/libsofthsm2.so';

function pkcs11jsLoads(): string | undefined {
  try {
    require('pkcs11js');
    return undefined;
  } catch (err) {
    return `the pkcs11js addon does not load (${(err as Error).message.split('\n')[0]}; npm ci builds it)`;
  }
}

function missing(): string | undefined {
  if (!fs.existsSync(SOFTHSM_MODULE) || spawnSync('softhsm2-util', ['--version'], { stdio: 'ignore' }).error) {
    return `SoftHSM2 is not installed (apt-get install -y softhsm2: ${SOFTHSM_MODULE}, softhsm2-util)`;
  }
  return pkcs11jsLoads();
}

/** Declares the suite when SoftHSM2 and pkcs11js are there; otherwise a loud skip, or a failure under CI. */
export function describeWithSoftHsm(name: string, fn: () => void): void {
  const why = missing();
  if (!why) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs SoftHSM2 and pkcs11js', () => {
        throw new Error(`${why}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${why}; CI fails instead of skipping`);
}

let conf: string | undefined;

/** This process's SOFTHSM2_CONF (made on first call, in the real environment too). */
export async function softHsmConf(): Promise<string> {
  if (conf) return conf;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-softhsm-'));
  fs.mkdirSync(path.join(dir, 'tokens'));
  const file = path.join(dir, 'softhsm2.conf');
  fs.writeFileSync(file, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  await new Promise<void>((resolve, reject) => {
    const w = new Worker(`process.env.SOFTHSM2_CONF = ${JSON.stringify(file)};`, { eval: true, env: SHARE_ENV });
    w.on('error', reject);
    w.on('exit', () => resolve());
  });
  process.env.SOFTHSM2_CONF = file;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  conf = file;
  return file;
}

/**
 * Initialises a token with softhsm2-util (a child process, like an operator would). Call before
 * this process first uses the module: SoftHSM2 sees only the tokens that exist when it initialises.
 */
export async function initToken(label: string, pin: string): Promise<void> {
  const env = { ...process.env, SOFTHSM2_CONF: await softHsmConf() };
  const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`softhsm2-util --init-token: ${r.stdout}${r.stderr}`);
}

/** An open, logged-in session on the token labelled `label`, by pkcs11js directly (not grms's code). */
export function tokenSession(label: string, pin: string): { p11: Pkcs11Js.PKCS11; lib: typeof Pkcs11Js; session: Buffer } {
  const lib = require('pkcs11js') as typeof Pkcs11Js;
  const p11 = new lib.PKCS11();
  p11.load(SOFTHSM_MODULE);
  try {
    p11.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test((err as Error).message)) throw err;
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === label);
  if (!slot) throw new Error(`no SoftHSM2 token labelled ${label}`);
  const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
  try {
    p11.C_Login(session, lib.CKU_USER, pin);
  } catch (err) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) throw err;
  }
  return { p11, lib, session };
}

/**
 * The token key's public half (from the public key object) and what the token says of its private
 * half; the key named by its CKA_LABEL, or by its CKA_ID (`{ id }`, hex).
 */
export function inspectKeyInToken(tokenLabel: string, pin: string, keyLabel: string | { id: string }): {
  modulus: Buffer; exponent: Buffer; sensitive: boolean; extractable: boolean; neverExtractable: boolean; alwaysSensitive: boolean;
  /** What the token answers when asked for the private exponent. */
  privateExponentRead: string;
} {
  const { p11, lib, session } = tokenSession(tokenLabel, pin);
  const find = (cls: number): Buffer => {
    const name = typeof keyLabel === 'string' ? { type: lib.CKA_LABEL, value: keyLabel } : { type: lib.CKA_ID, value: Buffer.from(keyLabel.id, 'hex') };
    p11.C_FindObjectsInit(session, [{ type: lib.CKA_CLASS, value: cls }, name]);
    const found = p11.C_FindObjects(session, 2);
    p11.C_FindObjectsFinal(session);
    if (found.length !== 1) throw new Error(`${found.length} keys ${JSON.stringify(keyLabel)} of class ${cls}`);
    const h = found[0]!;
    return h;
  };
  try {
    const pub = find(lib.CKO_PUBLIC_KEY);
    const priv = find(lib.CKO_PRIVATE_KEY);
    const [modulus, exponent] = p11.C_GetAttributeValue(session, pub, [{ type: lib.CKA_MODULUS }, { type: lib.CKA_PUBLIC_EXPONENT }]).map((a) => Buffer.from(a.value as Buffer));
    const flags = p11.C_GetAttributeValue(session, priv, [
      { type: lib.CKA_SENSITIVE }, { type: lib.CKA_EXTRACTABLE }, { type: lib.CKA_NEVER_EXTRACTABLE }, { type: lib.CKA_ALWAYS_SENSITIVE },
    ]).map((a) => (a.value as Buffer)[0] === 1);
    let privateExponentRead: string;
    try {
      const [d] = p11.C_GetAttributeValue(session, priv, [{ type: lib.CKA_PRIVATE_EXPONENT }]);
      privateExponentRead = `returned ${(d?.value as Buffer | undefined)?.length ?? 0} bytes`;
    } catch (err) {
      privateExponentRead = /CKR_[A-Z_]+/.exec((err as Error).message)?.[0] ?? (err as Error).message;
    }
    return { modulus: modulus!, exponent: exponent!, sensitive: flags[0]!, extractable: flags[1]!, neverExtractable: flags[2]!, alwaysSensitive: flags[3]!, privateExponentRead };
  } finally {
    p11.C_CloseSession(session);
  }
}

/**
 * Closes every session this process has on the token (C_CloseAllSessions), the signing threads'
 * included, which also ends the process's login: what a restarted token leaves a server with.
 */
export function closeAllSessions(tokenLabel: string, pin: string): void {
  const { p11, session } = tokenSession(tokenLabel, pin);
  const slot = p11.C_GetSessionInfo(session).slotID;
  p11.C_CloseAllSessions(slot);
}
