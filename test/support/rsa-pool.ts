import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * RSA key pairs made once per machine for the test run, handed out in place of fresh ones.
 *
 * Every test database gets its own document CA (RSA 3072) and a key per signing user (RSA 2048),
 * and making those was a large share of the suite's CPU: hundreds of apps, a quarter to two
 * thirds of a second per key. The keys are still real, each new to its test file (handed out in
 * order, never twice in one file; past the end of the pool a key is generated as before), and
 * everything done with them — certificates, CMS signatures, validation by OpenSSL and pdfsig — is
 * unchanged. Only `crypto.generateKeyPair('rsa', …)` with PEM SPKI/PKCS#8 output and a size the
 * pool holds is served from it; anything else is generated.
 */

export const POOL_SIZES: Readonly<Record<number, number>> = { 2048: 96, 3072: 24 };
const FORMAT = 'grms-test-rsa-pool-1';

interface PoolFile {
  format: string;
  keys: Record<string, Array<{ publicKeyPem: string; privateKeyPem: string }>>;
}

function generate(bits: number): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (err, publicKeyPem, privateKeyPem) => (err ? reject(err) : resolve({ publicKeyPem, privateKeyPem })));
  });
}

/** Global setup: the pool's file under node_modules/.cache (made once, about 25 s of CPU). */
export async function preparePool(dir: string): Promise<string> {
  const file = path.join(dir, `rsa-pool-${Object.entries(POOL_SIZES).map(([b, n]) => `${b}x${n}`).join('-')}.json`);
  if (fs.existsSync(file)) return file;
  const keys: PoolFile['keys'] = {};
  for (const [bits, n] of Object.entries(POOL_SIZES)) {
    keys[bits] = await Promise.all(Array.from({ length: n }, () => generate(Number(bits))));
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, keys } satisfies PoolFile));
  fs.renameSync(tmp, file);
  return file;
}

type Callback = (err: Error | null, publicKey: string, privateKey: string) => void;
interface Patched {
  (...args: unknown[]): void;
  pool?: PoolFile['keys'];
  handedOut?: Record<string, number>;
}

/** A test file's setup: serve generateKeyPair from the pool, counting from its start again. */
export function usePool(file: string | undefined): void {
  if (!file) return;
  const current = crypto.generateKeyPair as unknown as Patched;
  if (current.pool) {
    // Core modules are shared by the test files of one jest worker: patched already, start again.
    current.handedOut = {};
    return;
  }
  const pool = (JSON.parse(fs.readFileSync(file, 'utf8')) as PoolFile);
  if (pool.format !== FORMAT) throw new Error(`${file} is not a ${FORMAT} file`);
  const original = crypto.generateKeyPair.bind(crypto) as unknown as (...args: unknown[]) => void;
  const patched: Patched = (...args: unknown[]) => {
    const [type, options, callback] = args as [string, Record<string, unknown> | undefined, Callback | undefined];
    const pub = options?.publicKeyEncoding as { type?: string; format?: string } | undefined;
    const priv = options?.privateKeyEncoding as { type?: string; format?: string; cipher?: string } | undefined;
    const bits = String(options?.modulusLength);
    const keys = patched.pool![bits];
    const next = patched.handedOut![bits] ?? 0;
    const servable = type === 'rsa' && typeof callback === 'function' && keys && next < keys.length
      && options?.publicExponent === undefined && pub?.type === 'spki' && pub.format === 'pem'
      && priv?.type === 'pkcs8' && priv.format === 'pem' && priv.cipher === undefined;
    if (!servable) return original(...args);
    patched.handedOut![bits] = next + 1;
    const key = keys[next]!;
    setImmediate(() => callback(null, key.publicKeyPem, key.privateKeyPem));
  };
  patched.pool = pool.keys;
  patched.handedOut = {};
  (crypto as unknown as { generateKeyPair: Patched }).generateKeyPair = patched;
}
