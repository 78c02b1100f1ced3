import crypto from 'node:crypto';
import type * as Pkcs11Js from 'pkcs11js';
import { TokenConfigError } from './errors';

export { TokenConfigError };

/**
 * Signing keys held in a PKCS#11 token (an HSM, a smart card, or SoftHSM2 in tests): grms finds
 * the key, reads its public half and asks the token to sign; the private key never leaves it.
 * Configured by GRMS_PKCS11_* (src/config.ts); used for the deployment seal (authority.ts) and, with
 * GRMS_PKCS11_USER_KEYS, for users' keys, generated in the token when their certificates are issued
 * (identities.ts) and found there by CKA_ID.
 *
 * Threads: signing runs in the document pool's worker threads (pool.ts). pkcs11js is a N-API addon
 * and loads in every thread; the PKCS#11 library behind it is loaded once per process and is
 * initialised once per process (with CKF_OS_LOCKING_OK, so it locks for itself), so a thread that
 * comes second sees CKR_CRYPTOKI_ALREADY_INITIALIZED and CKR_USER_ALREADY_LOGGED_IN (a login is
 * per application, not per session), which are not errors. Each thread opens **one session of its
 * own** with the token, whatever number of keys it signs with there (the seal's, users'), and signs
 * on it with synchronous calls: a session runs one operation at a time, and a
 * synchronous C_SignInit + C_Sign cannot interleave with another task of the same thread (the pool
 * runs several tasks per thread, interleaved at their awaits). Signing in the threads, rather
 * than sending every signature back to the main thread, keeps the token's round trip off the
 * event loop that serves requests, as signing with a file key is. Nobody calls C_Finalize: it
 * would end every other thread's sessions; the process ending closes them.
 *
 * The main thread logs in first, at start (authority.ts), so a wrong PIN is found there: once the
 * process is logged in, the token no longer checks the PIN a thread gives. The reference, PIN
 * included, travels to the threads with each task, as a PEM key does.
 */

/** Where the key is: plain data, so it crosses to a worker thread (like a PEM key would). */
export interface TokenKeyRef {
  /** Path of the PKCS#11 module (.so), GRMS_PKCS11_MODULE. */
  module: string;
  /** The slot ID (decimal), GRMS_PKCS11_SLOT; or the token's label, GRMS_PKCS11_TOKEN_LABEL. */
  slot?: string;
  tokenLabel?: string;
  /** The user PIN, GRMS_PKCS11_PIN. */
  pin: string;
  /** The key's CKA_LABEL (GRMS_PKCS11_KEY_LABEL) and/or CKA_ID in hex (GRMS_PKCS11_KEY_ID). */
  keyLabel?: string;
  keyId?: string;
}

type Lib = typeof Pkcs11Js;

let lib: Lib | undefined;

/** pkcs11js, loaded on first use: a deployment without a token never loads the native addon. */
function pkcs11js(): Lib {
  if (lib) return lib;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    lib = require('pkcs11js') as Lib;
  } catch (err) {
    throw new TokenConfigError('GRMS_PKCS11_MODULE is set but the pkcs11js addon cannot be loaded (was it built? npm ci runs its build)', { cause: err });
  }
  return lib;
}

/** The PKCS#11 error name of a pkcs11js error (CKR_PIN_INCORRECT …), if it is one. */
function ckr(err: unknown): string | undefined {
  const m = /CKR_[A-Z_]+/.exec(String((err as Error)?.message ?? ''));
  return m?.[0];
}

/** A CK_ULONG handle (little-endian bytes, as pkcs11js gives them) as a number. */
function handleValue(handle: Buffer): bigint {
  return BigInt(`0x${Buffer.from(handle).reverse().toString('hex') || '0'}`);
}

/** This thread's one session on a token, and the keys found on it so far. */
interface TokenSession {
  p11: Pkcs11Js.PKCS11;
  session: Buffer;
  keys: Map<string, FoundKey>;
}

interface FoundKey {
  key: Buffer;
  publicKey: crypto.KeyObject;
  /** Bytes of an RSA signature (the modulus length). */
  signatureBytes: number;
  sensitive: boolean;
  extractable: boolean;
}

/**
 * This thread's session per token (module, slot or label, PIN), whatever number of keys it signs
 * with: the seal's and, with GRMS_PKCS11_USER_KEYS, each user's. Key handles are looked up once
 * per key and kept with the session they belong to.
 */
const sessions = new Map<string, TokenSession>();

function describe(ref: TokenKeyRef): string {
  const token = ref.tokenLabel !== undefined ? `token "${ref.tokenLabel}"` : `slot ${ref.slot}`;
  const key = [ref.keyLabel !== undefined && `label "${ref.keyLabel}"`, ref.keyId !== undefined && `id ${ref.keyId}`].filter(Boolean).join(', ');
  return `${token}, key ${key}`;
}

function findSlot(p11: Pkcs11Js.PKCS11, ref: TokenKeyRef): Buffer {
  const slots = p11.C_GetSlotList(true);
  if (ref.slot !== undefined) {
    const want = BigInt(ref.slot);
    const slot = slots.find((s) => handleValue(s) === want);
    if (!slot) throw new TokenConfigError(`GRMS_PKCS11_SLOT: no token in slot ${ref.slot} (slots with a token: ${slots.map((s) => handleValue(s).toString()).join(', ') || 'none'})`);
    return slot;
  }
  const labelled = slots.filter((s) => p11.C_GetTokenInfo(s).label.trim() === ref.tokenLabel);
  if (labelled.length !== 1) {
    throw new TokenConfigError(`GRMS_PKCS11_TOKEN_LABEL: ${labelled.length === 0 ? 'no' : labelled.length} token(s) labelled "${ref.tokenLabel}"`);
  }
  return labelled[0]!;
}

function findOne(lib: Lib, p11: Pkcs11Js.PKCS11, session: Buffer, objectClass: number, ref: TokenKeyRef): Buffer | undefined {
  const template: Pkcs11Js.Template = [{ type: lib.CKA_CLASS, value: objectClass }];
  if (ref.keyLabel !== undefined) template.push({ type: lib.CKA_LABEL, value: ref.keyLabel });
  if (ref.keyId !== undefined) template.push({ type: lib.CKA_ID, value: Buffer.from(ref.keyId, 'hex') });
  p11.C_FindObjectsInit(session, template);
  try {
    const found = p11.C_FindObjects(session, 2);
    if (found.length > 1) throw new TokenConfigError(`${describe(ref)}: more than one object matches; name the key by GRMS_PKCS11_KEY_ID as well`);
    return found[0];
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

function attributes(lib: Lib, p11: Pkcs11Js.PKCS11, session: Buffer, object: Buffer, types: number[]): Buffer[] {
  return p11.C_GetAttributeValue(session, object, types.map((type) => ({ type }))).map((a) => Buffer.from(a.value as Buffer));
}

/**
 * This thread's handle per module, kept for the thread's life: a handle that is collected unloads
 * its library reference (dlclose), and the last one would unload the module with every session.
 */
const modules = new Map<string, Pkcs11Js.PKCS11>();

/** The module loaded and initialised (by this thread, or already by another of the process). */
function initialised(lib: Lib, ref: TokenKeyRef): Pkcs11Js.PKCS11 {
  const loaded = modules.get(ref.module);
  if (loaded) return loaded;
  const p11 = new lib.PKCS11();
  try {
    p11.load(ref.module);
  } catch (err) {
    throw new TokenConfigError(`GRMS_PKCS11_MODULE: cannot load the PKCS#11 module ${ref.module}: ${(err as Error).message}`, { cause: err });
  }
  try {
    p11.C_Initialize({ flags: lib.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (ckr(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      throw new TokenConfigError(`GRMS_PKCS11_MODULE: ${ref.module} does not initialise: ${(err as Error).message}`, { cause: err });
    }
  }
  modules.set(ref.module, p11);
  return p11;
}

/** A session on the token, logged in as its user (a login is the process's: another thread's counts). */
function loggedIn(lib: Lib, p11: Pkcs11Js.PKCS11, ref: TokenKeyRef, readWrite = false): Buffer {
  const session = p11.C_OpenSession(findSlot(p11, ref), lib.CKF_SERIAL_SESSION | (readWrite ? lib.CKF_RW_SESSION : 0));
  try {
    p11.C_Login(session, lib.CKU_USER, ref.pin);
  } catch (err) {
    const code = ckr(err);
    if (code !== 'CKR_USER_ALREADY_LOGGED_IN') {
      p11.C_CloseSession(session);
      const why = code === 'CKR_PIN_INCORRECT' ? 'the PIN is wrong' : code === 'CKR_PIN_LOCKED' ? 'the PIN is locked' : `login failed (${code ?? (err as Error).message})`;
      throw new TokenConfigError(`GRMS_PKCS11_PIN: ${why} for ${describe(ref)}`, { cause: err });
    }
  }
  return session;
}

/** This thread's session on the token of `ref` (opened and logged in on first use). */
function tokenSession(lib: Lib, ref: TokenKeyRef): TokenSession {
  const cacheKey = tokenCacheKey(ref);
  const hit = sessions.get(cacheKey);
  if (hit) return hit;
  const p11 = initialised(lib, ref);
  const opened: TokenSession = { p11, session: loggedIn(lib, p11, ref), keys: new Map() };
  sessions.set(cacheKey, opened);
  return opened;
}

/** The key `ref` names, found and checked on this thread's session with its token. */
function open(ref: TokenKeyRef): { token: TokenSession; found: FoundKey } {
  const lib = pkcs11js();
  const token = tokenSession(lib, ref);
  const keyKey = keyCacheKey(ref);
  const hit = token.keys.get(keyKey);
  if (hit) return { token, found: hit };
  const { p11, session } = token;
  try {
    const key = findOne(lib, p11, session, lib.CKO_PRIVATE_KEY, ref);
    if (!key) throw new TokenConfigError(`${describe(ref)}: no such private key in the token`);
    const [keyType, sensitive, extractable] = attributes(lib, p11, session, key, [lib.CKA_KEY_TYPE, lib.CKA_SENSITIVE, lib.CKA_EXTRACTABLE]);
    if (handleValue(keyType!) !== BigInt(lib.CKK_RSA)) throw new TokenConfigError(`${describe(ref)}: not an RSA key (grms signs with RSA keys from a token)`);
    const pub = findOne(lib, p11, session, lib.CKO_PUBLIC_KEY, ref);
    if (!pub) throw new TokenConfigError(`${describe(ref)}: the token holds no public key with the same label/id, so the key's certificate cannot be made`);
    const [n, e] = attributes(lib, p11, session, pub, [lib.CKA_MODULUS, lib.CKA_PUBLIC_EXPONENT]);
    const publicKey = crypto.createPublicKey({ key: { kty: 'RSA', n: n!.toString('base64url'), e: e!.toString('base64url') }, format: 'jwk' });
    const found: FoundKey = {
      key, publicKey, signatureBytes: n!.length - (n![0] === 0 ? 1 : 0),
      sensitive: sensitive![0] === 1, extractable: extractable![0] === 1,
    };
    token.keys.set(keyKey, found);
    return { token, found };
  } catch (err) {
    if (SESSION_LOST.has(ckr(err) ?? '')) forget(ref, token);
    if (err instanceof TokenConfigError) throw err;
    throw new TokenConfigError(`${describe(ref)}: ${(err as Error).message}`, { cause: err });
  }
}

/** `open(ref)`, once more on a fresh session when the token no longer knows this thread's (it was restarted). */
function openKey(ref: TokenKeyRef): { token: TokenSession; found: FoundKey } {
  try {
    return open(ref);
  } catch (err) {
    if (!SESSION_LOST.has(ckr(err) ?? '')) throw err;
    return open(ref);
  }
}

/**
 * Checks the key at start (in the main thread): module, token, PIN, key, and that the key cannot
 * leave the token (CKA_SENSITIVE set, CKA_EXTRACTABLE not). Returns its public key.
 */
export function inspectTokenKey(ref: TokenKeyRef): { publicKey: crypto.KeyObject } {
  const opened = openKey(ref).found;
  if (!opened.sensitive || opened.extractable) {
    throw new TokenConfigError(`${describe(ref)}: the key can be read out of the token (CKA_SENSITIVE must be true and CKA_EXTRACTABLE false); generate it in the token instead`);
  }
  return { publicKey: opened.publicKey };
}

/** What cms.ts signs with when the key is in a token: RSA PKCS#1 v1.5 with SHA-256 (CKM_SHA256_RSA_PKCS) by the token. */
export function tokenSigner(ref: TokenKeyRef): { asymmetricKeyType: 'rsa'; publicKey: crypto.KeyObject; sign(data: Buffer): Buffer } {
  const lib = pkcs11js();
  return {
    asymmetricKeyType: 'rsa',
    publicKey: openKey(ref).found.publicKey,
    sign(data) {
      // Synchronous on this thread's one session with the token: see the note at the top. A
      // session the token no longer knows (it was restarted, or every session of the process was
      // closed) is opened anew, once, and the key looked up again on it.
      for (let attempt = 0; ; attempt++) {
        const { token, found } = openKey(ref);
        try {
          token.p11.C_SignInit(token.session, { mechanism: lib.CKM_SHA256_RSA_PKCS }, found.key);
          return Buffer.from(token.p11.C_Sign(token.session, data, Buffer.alloc(found.signatureBytes)));
        } catch (err) {
          const code = ckr(err) ?? '';
          // A key handle the token no longer knows (the key was destroyed or re-made): look it up again.
          if (code === 'CKR_KEY_HANDLE_INVALID' || code === 'CKR_OBJECT_HANDLE_INVALID') token.keys.delete(keyCacheKey(ref));
          else forget(ref, token);
          if (attempt > 0 || !SESSION_LOST.has(code)) throw err;
        }
      }
    },
  };
}

/** What a token answers when the session (or the login) it was given is gone. */
const SESSION_LOST = new Set([
  'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT',
  'CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID',
]);

function tokenCacheKey(ref: TokenKeyRef): string {
  return JSON.stringify([ref.module, ref.slot, ref.tokenLabel, ref.pin]);
}

function keyCacheKey(ref: TokenKeyRef): string {
  return JSON.stringify([ref.keyLabel, ref.keyId]);
}

/** Drops this thread's session with the token of `ref` and every key handle found on it. */
function forget(ref: TokenKeyRef, token: TokenSession): void {
  if (sessions.get(tokenCacheKey(ref)) === token) sessions.delete(tokenCacheKey(ref));
  try {
    token.p11.C_CloseSession(token.session);
  } catch {
    // already gone with the token
  }
}

/**
 * Generates the RSA key pair `ref` names inside the token (C_GenerateKeyPair): the private key is
 * made there, sensitive and not extractable, so it never exists anywhere else. Refuses when the
 * token already holds a key by that label/id. Returns the public key. The generation runs off the
 * event loop (C_GenerateKeyPair on libuv's pool), on a session of its own that is closed after.
 */
export async function generateTokenKey(ref: TokenKeyRef, bits: number): Promise<crypto.KeyObject> {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 4096) throw new TokenConfigError(`an RSA key of ${bits} bits: give 2048 to 4096`);
  const lib = pkcs11js();
  const p11 = initialised(lib, ref);
  const session = loggedIn(lib, p11, ref, true);
  try {
    if (findOne(lib, p11, session, lib.CKO_PRIVATE_KEY, ref) || findOne(lib, p11, session, lib.CKO_PUBLIC_KEY, ref)) {
      throw new TokenConfigError(`${describe(ref)}: the token holds such a key already`);
    }
    const names: Pkcs11Js.Template = [
      ...(ref.keyLabel !== undefined ? [{ type: lib.CKA_LABEL, value: ref.keyLabel }] : []),
      ...(ref.keyId !== undefined ? [{ type: lib.CKA_ID, value: Buffer.from(ref.keyId, 'hex') }] : []),
    ];
    const { publicKey } = await p11.C_GenerateKeyPairAsync(session, { mechanism: lib.CKM_RSA_PKCS_KEY_PAIR_GEN }, [
      { type: lib.CKA_TOKEN, value: true }, { type: lib.CKA_VERIFY, value: true }, { type: lib.CKA_MODULUS_BITS, value: bits },
      { type: lib.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }, ...names,
    ], [
      { type: lib.CKA_TOKEN, value: true }, { type: lib.CKA_PRIVATE, value: true }, { type: lib.CKA_SIGN, value: true },
      { type: lib.CKA_SENSITIVE, value: true }, { type: lib.CKA_EXTRACTABLE, value: false }, ...names,
    ]);
    const [n, e] = attributes(lib, p11, session, publicKey, [lib.CKA_MODULUS, lib.CKA_PUBLIC_EXPONENT]);
    return crypto.createPublicKey({ key: { kty: 'RSA', n: n!.toString('base64url'), e: e!.toString('base64url') }, format: 'jwk' });
  } catch (err) {
    if (err instanceof TokenConfigError) throw err;
    throw new TokenConfigError(`${describe(ref)}: generating the key failed: ${(err as Error).message}`, { cause: err });
  } finally {
    p11.C_CloseSession(session);
  }
}

/**
 * Destroys the key pair `ref` names (both halves), if the token holds it: a key grms generated for
 * a certificate that was never stored (another process issued the user's certificate first).
 */
export function destroyTokenKey(ref: TokenKeyRef): void {
  const lib = pkcs11js();
  const p11 = initialised(lib, ref);
  const session = loggedIn(lib, p11, ref, true);
  try {
    for (const objectClass of [lib.CKO_PRIVATE_KEY, lib.CKO_PUBLIC_KEY]) {
      const object = findOne(lib, p11, session, objectClass, ref);
      if (object) p11.C_DestroyObject(session, object);
    }
  } finally {
    p11.C_CloseSession(session);
  }
}

/** A reference without the PIN, for what is stored or printed. */
export function tokenKeyName(ref: TokenKeyRef): string {
  return `pkcs11:${describe(ref)}`;
}
