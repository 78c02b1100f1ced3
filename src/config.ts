import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_COMMENT_LIMITS, type CommentLimits } from './engine/comment-limits';
import { parseWitnesses, type Witness } from './audit/log/witness-list';
import type { TokenKeyRef } from './documents/pkcs11';
import { DEFAULT_NUMBER_FORMAT, parseNumberFormat, type NumberFormat } from './documents/numbers';

/**
 * Which proxies may name the client (X-Forwarded-For), as Express's `trust proxy`: false (none),
 * a hop count, or the proxies' addresses, CIDRs and the names loopback, linklocal, uniquelocal.
 * Never `true`: that would let every client choose the address it is limited and logged under.
 */
export type TrustProxy = false | number | readonly string[];

/** Everything grms reads from the environment, read once. */
export interface Config {
  /** postgres://… for a real server; undefined selects the embedded PGlite database. */
  readonly databaseUrl: string | undefined;
  /** Folder of the embedded database, its lock and its generated GRMS_KEY. */
  readonly dataDir: string;
  /** Base64 of 32 bytes; undefined means "generate one into dataDir" (embedded only). */
  readonly key: string | undefined;
  readonly port: number;
  readonly host: string;
  /**
   * Base URL of every link printed in QR codes, signed documents and pages (never the request's
   * Host header), and of the CRL every issued certificate names.
   */
  readonly publicUrl: string;
  /**
   * Whether GRMS_PUBLIC_URL was set (publicUrl is otherwise a guess from HOST and PORT). Outside
   * the embedded demo, certificates are not issued without it: their CRL address lasts for years.
   */
  readonly publicUrlSet: boolean;
  readonly checkpointIntervalMs: number;
  /** How often each server looks for SLA deadlines that fell due. */
  readonly deadlinePollMs: number;
  readonly logLevel: string;
  /**
   * GRMS_TIMEZONE (IANA), the one zone every local day and year is computed in, SQL included.
   * Two clocks read it (src/clock.ts): the workflow clock (SLA, deadlines, overdue flags,
   * dashboards, default years, event and document dates) and the real clock (certificates,
   * signing and time-stamp times, session, token and rate-limit expiry).
   */
  readonly timezone: string;
  readonly trustAnchorsFile: string | undefined;
  /**
   * GRMS_WORKFLOW_PATH: folders of workflow packages kept outside the checkout, separated like
   * PATH (`:`, `;` on Windows); each is a package folder or a folder of them (src/engine/packages.ts).
   */
  readonly workflowPath: readonly string[];
  /** SLA working days per state that override a workflow's own, by workflow name (GRMS_SLA_<WORKFLOW>). */
  readonly slaOverrides: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * GRMS_DOCUMENT_THREADS: threads that render and sign PDFs, in total over the server's worker
   * processes (each gets its share, at least one: see threadsPerWorker).
   */
  readonly documentThreads: number;
  /**
   * GRMS_WORKERS: `grms serve` processes sharing the port (default: one per core). The embedded
   * database is single-process, so without DATABASE_URL the server always runs one.
   */
  readonly workers: number;
  /** GRMS_SHUTDOWN_GRACE_SECONDS: how long a stopping server lets requests in flight finish before cutting them off. */
  readonly shutdownGraceMs: number;
  /** Letterhead of every document, e.g. "PEMERINTAH KOTA SEMARANG". */
  readonly government: string;
  /** Place printed before the date above signatures ("Semarang, 25 November 2026"). */
  readonly documentPlace: string;
  /**
   * GRMS_DOCUMENT_NUMBER_FORMAT: how document numbers are printed, with {class} {seq} {unit} {year}
   * {kind} (default `{class}/{seq}/{unit}/{year}`, e.g. 900/0015/BPKAD/2027); checked here, so a bad
   * format stops the start (src/documents/numbers.ts).
   */
  readonly documentNumberFormat: NumberFormat;
  /** A document CA from outside (PEM certificate [+ chain] and key paths, or a PKCS#12); else one is generated. */
  readonly caCertFile: string | undefined;
  readonly caKeyFile: string | undefined;
  readonly caP12File: string | undefined;
  /** Passphrase of the CA's PKCS#12 or encrypted PEM key. */
  readonly caPassphrase: string | undefined;
  /** Folder of <username>.p12 signing certificates (e.g. BSrE); unset means the CA issues them. */
  readonly userP12Dir: string | undefined;
  readonly userP12Passphrase: string | undefined;
  /** OCDS ocid prefix of this publisher ("ocds-" + the registered prefix + a local part). */
  readonly ocidPrefix: string;
  /**
   * The public OCDS routes' per-client limit (GRMS_OCDS_RATE_LIMIT requests, default 300, per
   * GRMS_OCDS_RATE_WINDOW_SECONDS, default 300; real clock; 0: no limit).
   */
  readonly ocdsRate: Readonly<{ limit: number; windowSeconds: number }>;
  /**
   * Public creation without an account (a package's publicIntake): instances created per client
   * address (GRMS_PUBLIC_INTAKE_RATE_LIMIT, default 5, per GRMS_PUBLIC_INTAKE_RATE_WINDOW_SECONDS,
   * default 3600; real clock; 0: no limit) and the largest request body in bytes
   * (GRMS_PUBLIC_INTAKE_MAX_BODY_BYTES, default 65536). The same per-client limit counts citizens'
   * events by tracking number and PIN. A submission names at most GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS
   * attachments (default 5; the list a package's `publicIntake.attachments` points at).
   */
  readonly publicIntake: Readonly<{ rate: Readonly<{ limit: number; windowSeconds: number }>; maxBodyBytes: number; maxAttachments?: number }>;
  /**
   * GRMS_TRUST_PROXY: the reverse proxies in front of grms, so the client address every rate limit
   * and log names is the real client's, not the proxy's (default: none; the socket's peer).
   */
  readonly trustProxy: TrustProxy;
  /**
   * GRMS_METRICS_ADDRESS ("host:port", "[::1]:port"): a second listener that serves only /metrics;
   * the main port then answers 404 there. Unset: /metrics is on the main port.
   */
  readonly metricsAddress: { readonly host: string; readonly port: number } | undefined;
  /** GRMS_METRICS_TOKEN: /metrics then needs `Authorization: Bearer <token>` (wherever it is served). Unset: public. */
  readonly metricsToken: string | undefined;
  /**
   * Comments one person may add to one instance per window (GRMS_COMMENT_RATE_LIMIT, default 10,
   * per GRMS_COMMENT_RATE_WINDOW_SECONDS, default 600; on the real clock), and the bytes of
   * attachments one instance may hold (GRMS_ATTACHMENT_QUOTA_MB, default 100).
   */
  readonly comments: Readonly<CommentLimits>;
  /** Bounds on the public signature check (POST /api/v1/verify, the console's /verify). */
  readonly verify: VerifySettings;
  /** The transparency log: its origin, witnesses, policy and schedule. */
  readonly log: LogConfig;
  /** The RFC 3161 time-stamping authority every signature is time-stamped by (PAdES B-T), if any. */
  readonly tsa: TsaConfig;
  /**
   * The deployment seal's key in a PKCS#11 token (GRMS_PKCS11_MODULE, GRMS_PKCS11_SLOT or
   * GRMS_PKCS11_TOKEN_LABEL, GRMS_PKCS11_PIN, GRMS_PKCS11_KEY_LABEL and/or GRMS_PKCS11_KEY_ID);
   * unset: the seal's key is generated and kept in deployment_keys.
   */
  readonly pkcs11: TokenKeyRef | undefined;
  /**
   * GRMS_PKCS11_USER_KEYS=true: a user's signing key pair is generated in that same token when grms
   * issues the user's certificate, and signs there. Certificates issued before keep their file
   * keys. Needs GRMS_PKCS11_MODULE; not with GRMS_USER_P12_DIR (users then bring their own keys).
   */
  readonly pkcs11UserKeys: boolean;
}

export interface TsaConfig {
  /** GRMS_TSA_URL: where time-stamp requests are posted; unset, signatures are PAdES B-B. */
  readonly url: string | undefined;
  /** GRMS_TSA_TIMEOUT_MS: how long one time-stamp (or CRL download) may take before the document is signed without it. */
  readonly timeoutMs: number;
  /** GRMS_TSA_TRUST_ANCHORS: PEM bundle of the CAs trusted to issue time-stamping certificates (required with GRMS_TSA_URL). */
  readonly trustAnchorsFile: string | undefined;
}

/** The transparency log's settings (src/audit/log/). */
export interface LogConfig {
  /**
   * GRMS_LOG_ORIGIN: the log's name, a schema-less URL such as grms.semarangkota.go.id/log; the
   * first line of every checkpoint and the name of the log key. Stable for the log's life.
   * Default: the public URL's host and path + "/log".
   */
  readonly origin: string;
  /** Whether GRMS_LOG_ORIGIN was set: witnessed logging is refused on a guessed origin. */
  readonly originSet: boolean;
  /** GRMS_WITNESSES: "<cosignature vkey> <url>" entries separated by ";". */
  readonly witnesses: readonly Witness[];
  /** GRMS_WITNESS_POLICY: path of a C2SP tlog-policy file naming the witness quorum. */
  readonly policyFile: string | undefined;
  /** GRMS_LOG_INTERVAL_SECONDS: how often each server integrates new rows and signs a checkpoint. */
  readonly intervalMs: number;
  /** GRMS_LOG_RATE_LIMIT per GRMS_LOG_RATE_WINDOW_SECONDS: public log reads per client address (0: no limit; real clock). */
  readonly rate: Readonly<{ limit: number; windowSeconds: number }>;
}

/**
 * What one anonymous upload may cost. The signature limits are checked on the file's structure
 * before any certificate is parsed; the checks run in their own worker threads with a time budget.
 */
export interface VerifySettings {
  /** GRMS_VERIFY_MAX_BYTES: largest uploaded PDF (grms's own documents are far smaller). */
  readonly maxBytes: number;
  /** GRMS_VERIFY_MAX_SIGNATURE_BYTES: largest signature /Contents (grms writes 16,384 bytes). */
  readonly maxSignatureBytes: number;
  /** GRMS_VERIFY_MAX_CERTIFICATES: certificates embedded in the signature. */
  readonly maxCertificates: number;
  /** GRMS_VERIFY_MAX_RSA_BITS: largest RSA modulus of an embedded certificate (the smallest is 2048). */
  readonly maxRsaBits: number;
  /** GRMS_VERIFY_BUDGET_MS: time one check may run in its worker before it is stopped. */
  readonly budgetMs: number;
  /** GRMS_VERIFY_THREADS: worker threads for checks (separate from the signing threads), in total over the worker processes. */
  readonly threads: number;
  /** GRMS_VERIFY_QUEUE: checks that may wait for a thread; beyond that, 503 with Retry-After. */
  readonly queue: number;
  /** GRMS_VERIFY_RATE_LIMIT: checks per client address per window (0: no limit). */
  readonly rateLimit: number;
  /** GRMS_VERIFY_RATE_WINDOW_SECONDS: the window of that limit (real clock). */
  readonly rateWindowSeconds: number;
}

/** Used until a publisher registers its own prefix with the Open Contracting Partnership. */
export const DEFAULT_OCID_PREFIX = 'ocds-xxxxxx-grms';

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

/** "state=days,state=days" → { state: days }. */
function parseSlaList(value: string | undefined, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)=(\d{1,3})$/.exec(part);
    if (!m || Number(m[2]) < 1) throw new Error(`${name} must look like "state=days,state=days" (e.g. "review=15,check=3"), got "${part}"`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * GRMS_SLA_<WORKFLOW>="state=days,…" for any workflow: its id in upper case with underscores for
 * hyphens (a workflow id has no underscore, so the name maps back to one id).
 */
function slaOverrides(env: NodeJS.ProcessEnv): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^GRMS_SLA_([A-Z0-9]+(?:_[A-Z0-9]+)*)$/.exec(name);
    if (m) out[m[1]!.toLowerCase().replace(/_/g, '-')] = parseSlaList(value, name);
  }
  return out;
}

/** The zone used when GRMS_TIMEZONE is not set. */
export const DEFAULT_TIMEZONE = 'Asia/Jakarta';

/** Zone abbreviations Indonesians print after a time; other zones are printed with their UTC offset. */
export const ZONE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

function timeZoneFrom(value: string | undefined): string {
  const zone = value || DEFAULT_TIMEZONE;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch (err) {
    throw new Error(`GRMS_TIMEZONE must be an IANA time zone such as Asia/Jakarta, got "${zone}"`, { cause: err });
  }
  return zone;
}

function verifySettings(env: NodeJS.ProcessEnv): VerifySettings {
  return Object.freeze({
    maxBytes: Math.max(1, intFrom(env.GRMS_VERIFY_MAX_BYTES, 5 * 1024 * 1024, 'GRMS_VERIFY_MAX_BYTES')),
    maxSignatureBytes: Math.max(1, intFrom(env.GRMS_VERIFY_MAX_SIGNATURE_BYTES, 64 * 1024, 'GRMS_VERIFY_MAX_SIGNATURE_BYTES')),
    maxCertificates: Math.max(1, intFrom(env.GRMS_VERIFY_MAX_CERTIFICATES, 10, 'GRMS_VERIFY_MAX_CERTIFICATES')),
    // 16,384 bits is as far as OpenSSL goes; below 2,048 is refused whatever is configured.
    maxRsaBits: Math.min(16_384, Math.max(2048, intFrom(env.GRMS_VERIFY_MAX_RSA_BITS, 4096, 'GRMS_VERIFY_MAX_RSA_BITS'))),
    budgetMs: Math.max(1, intFrom(env.GRMS_VERIFY_BUDGET_MS, 2000, 'GRMS_VERIFY_BUDGET_MS')),
    threads: Math.max(1, intFrom(env.GRMS_VERIFY_THREADS, 1, 'GRMS_VERIFY_THREADS')),
    queue: intFrom(env.GRMS_VERIFY_QUEUE, 16, 'GRMS_VERIFY_QUEUE'),
    rateLimit: intFrom(env.GRMS_VERIFY_RATE_LIMIT, 60, 'GRMS_VERIFY_RATE_LIMIT'),
    rateWindowSeconds: Math.max(1, intFrom(env.GRMS_VERIFY_RATE_WINDOW_SECONDS, 300, 'GRMS_VERIFY_RATE_WINDOW_SECONDS')),
  });
}

function tsaConfig(env: NodeJS.ProcessEnv): TsaConfig {
  const url = env.GRMS_TSA_URL || undefined;
  if (url && !/^https?:\/\/[^\s]+$/i.test(url)) throw new Error(`GRMS_TSA_URL must be an http(s) URL, got "${url}"`);
  const trustAnchorsFile = env.GRMS_TSA_TRUST_ANCHORS || undefined;
  // A time-stamp nobody can check proves nothing: the verifier must know whom to trust.
  if (url && !trustAnchorsFile) throw new Error('GRMS_TSA_URL is set without GRMS_TSA_TRUST_ANCHORS (a PEM file of the CA certificates of the time-stamping authority)');
  return Object.freeze({ url, trustAnchorsFile, timeoutMs: Math.max(1, intFrom(env.GRMS_TSA_TIMEOUT_MS, 5000, 'GRMS_TSA_TIMEOUT_MS')) });
}

const PKCS11_VARS = ['GRMS_PKCS11_SLOT', 'GRMS_PKCS11_TOKEN_LABEL', 'GRMS_PKCS11_PIN', 'GRMS_PKCS11_KEY_LABEL', 'GRMS_PKCS11_KEY_ID'] as const;

/** GRMS_PKCS11_*: where the seal's key is, checked for form here and against the token at start. */
function pkcs11Config(env: NodeJS.ProcessEnv): TokenKeyRef | undefined {
  const module = env.GRMS_PKCS11_MODULE || undefined;
  if (!module) {
    const stray = PKCS11_VARS.filter((v) => env[v]);
    if (stray.length) throw new Error(`${stray.join(', ')} set without GRMS_PKCS11_MODULE (the path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)`);
    return undefined;
  }
  if (!path.isAbsolute(module)) throw new Error(`GRMS_PKCS11_MODULE must be an absolute path of a PKCS#11 module (.so), got "${module}"`);
  const slot = env.GRMS_PKCS11_SLOT || undefined;
  const tokenLabel = env.GRMS_PKCS11_TOKEN_LABEL || undefined;
  if ((slot === undefined) === (tokenLabel === undefined)) throw new Error('GRMS_PKCS11_MODULE needs exactly one of GRMS_PKCS11_SLOT (a slot ID) and GRMS_PKCS11_TOKEN_LABEL');
  if (slot !== undefined && !/^\d{1,20}$/.test(slot)) throw new Error(`GRMS_PKCS11_SLOT must be a slot ID (a decimal number), got "${slot}"`);
  const pin = env.GRMS_PKCS11_PIN;
  if (!pin) throw new Error('GRMS_PKCS11_MODULE is set without GRMS_PKCS11_PIN (the token\'s user PIN)');
  const keyLabel = env.GRMS_PKCS11_KEY_LABEL || undefined;
  const keyId = env.GRMS_PKCS11_KEY_ID || undefined;
  if (keyLabel === undefined && keyId === undefined) throw new Error('GRMS_PKCS11_MODULE needs GRMS_PKCS11_KEY_LABEL or GRMS_PKCS11_KEY_ID (hex) to name the seal\'s key');
  if (keyId !== undefined && !/^(?:[0-9a-fA-F]{2}){1,64}$/.test(keyId)) throw new Error(`GRMS_PKCS11_KEY_ID must be the key's CKA_ID in hex, got "${keyId}"`);
  return Object.freeze({
    module, pin, ...(slot !== undefined && { slot }), ...(tokenLabel !== undefined && { tokenLabel }),
    ...(keyLabel !== undefined && { keyLabel }), ...(keyId !== undefined && { keyId: keyId.toLowerCase() }),
  });
}

/** GRMS_PKCS11_USER_KEYS: users' keys in the token, which must then be configured. */
function pkcs11UserKeys(env: NodeJS.ProcessEnv): boolean {
  const value = env.GRMS_PKCS11_USER_KEYS || 'false';
  if (value !== 'true' && value !== 'false') throw new Error(`GRMS_PKCS11_USER_KEYS must be true or false, got "${value}"`);
  if (value === 'false') return false;
  if (!env.GRMS_PKCS11_MODULE) throw new Error('GRMS_PKCS11_USER_KEYS=true needs the token configured (GRMS_PKCS11_MODULE and the other GRMS_PKCS11_* settings)');
  if (env.GRMS_USER_P12_DIR) throw new Error('GRMS_PKCS11_USER_KEYS=true and GRMS_USER_P12_DIR exclude each other: users\' keys are either in the token or in their PKCS#12 files');
  return true;
}

/** "host:port" or "[v6]:port" (port 0: any free port). */
function parseAddress(value: string | undefined, name: string): { host: string; port: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${name} must be host:port (e.g. 127.0.0.1:9464 or [::1]:9464), got "${value}"`);
  return { host: m[1] ?? m[2]!, port };
}

/** A bearer token someone must configure on purpose: visible ASCII, no spaces, long enough not to guess. */
function parseToken(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[\x21-\x7e]{16,256}$/.test(value)) throw new Error(`${name} must be 16 to 256 visible ASCII characters without spaces (e.g. openssl rand -hex 32)`);
  return value;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR (address/prefix length) or one of Express's names for address ranges. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = net.isIP(address ?? '');
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** GRMS_TRUST_PROXY: empty or "false" → none; "2" → two hops; "loopback, 10.0.0.0/8" → those proxies. */
export function parseTrustProxy(value: string | undefined, name = 'GRMS_TRUST_PROXY'): TrustProxy {
  const text = (value ?? '').trim();
  if (text === '' || text.toLowerCase() === 'false') return false;
  if (['true', '*', 'all'].includes(text.toLowerCase())) {
    throw new Error(`${name} must never be "${text}": that trusts every client to name its own address. Give the number of proxies in front of grms or their addresses/CIDRs (e.g. "loopback" or "10.0.0.5, 10.1.0.0/16")`);
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 10) throw new Error(`${name}: ${hops} proxy hops is not a plausible setup (at most 10)`);
    return hops === 0 ? false : hops;
  }
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  const bad = entries.filter((e) => !isProxyEntry(e));
  if (bad.length) throw new Error(`${name} must be a hop count or a list of addresses, CIDRs, loopback, linklocal or uniquelocal; not understood: ${bad.map((b) => `"${b}"`).join(', ')}`);
  return Object.freeze(entries);
}

/** A log origin: a schema-less URL (C2SP: no spaces, no "+"), one line. */
export function parseLogOrigin(value: string): string {
  if (!/^[^\s+]{1,255}$/u.test(value) || value.includes('://') || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new Error(`GRMS_LOG_ORIGIN must be a schema-less URL without spaces or "+" (e.g. grms.semarangkota.go.id/log), got "${value}"`);
  }
  return value;
}

/** The origin a deployment gets without GRMS_LOG_ORIGIN: its public URL's host and path, + "/log". */
export function defaultLogOrigin(publicUrl: string): string {
  try {
    const u = new URL(publicUrl);
    return `${u.host}${u.pathname.replace(/\/+$/, '')}/log`;
  } catch {
    return 'localhost/grms';
  }
}

function logConfig(env: NodeJS.ProcessEnv, publicUrl: string): LogConfig {
  return Object.freeze({
    origin: env.GRMS_LOG_ORIGIN ? parseLogOrigin(env.GRMS_LOG_ORIGIN) : defaultLogOrigin(publicUrl),
    originSet: Boolean(env.GRMS_LOG_ORIGIN),
    witnesses: Object.freeze(parseWitnesses(env.GRMS_WITNESSES)),
    policyFile: env.GRMS_WITNESS_POLICY ? path.resolve(env.GRMS_WITNESS_POLICY) : undefined,
    intervalMs: Math.max(1, intFrom(env.GRMS_LOG_INTERVAL_SECONDS, 30, 'GRMS_LOG_INTERVAL_SECONDS')) * 1000,
    rate: Object.freeze({
      limit: intFrom(env.GRMS_LOG_RATE_LIMIT, 300, 'GRMS_LOG_RATE_LIMIT'),
      windowSeconds: Math.max(1, intFrom(env.GRMS_LOG_RATE_WINDOW_SECONDS, 300, 'GRMS_LOG_RATE_WINDOW_SECONDS')),
    }),
  });
}

/**
 * A worker process's share of threads counted in total (GRMS_DOCUMENT_THREADS, GRMS_VERIFY_THREADS),
 * so several workers do not start more threads than the cores hold; at least one each, or a
 * worker could not sign.
 */
export function threadsPerWorker(total: number, workers: number): number {
  return Math.max(1, Math.floor(total / Math.max(1, workers)));
}

function numberFormatFrom(value: string | undefined): NumberFormat {
  try {
    return parseNumberFormat(value || DEFAULT_NUMBER_FORMAT);
  } catch (err) {
    throw new Error(`GRMS_DOCUMENT_NUMBER_FORMAT: ${(err as Error).message}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env.PORT, 3000, 'PORT');
  const host = env.HOST || '127.0.0.1';
  const publicUrl = (env.GRMS_PUBLIC_URL || `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/+$/, '');
  return Object.freeze({
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.GRMS_DATA_DIR || 'data'),
    key: env.GRMS_KEY || undefined,
    port,
    host,
    publicUrl,
    publicUrlSet: Boolean(env.GRMS_PUBLIC_URL),
    checkpointIntervalMs: intFrom(env.GRMS_CHECKPOINT_INTERVAL_SECONDS, 300, 'GRMS_CHECKPOINT_INTERVAL_SECONDS') * 1000,
    deadlinePollMs: Math.max(1, intFrom(env.GRMS_DEADLINE_POLL_SECONDS, 30, 'GRMS_DEADLINE_POLL_SECONDS')) * 1000,
    logLevel: env.LOG_LEVEL || 'info',
    timezone: timeZoneFrom(env.GRMS_TIMEZONE),
    trustAnchorsFile: env.GRMS_TRUST_ANCHORS || undefined,
    workflowPath: Object.freeze((env.GRMS_WORKFLOW_PATH ?? '').split(path.delimiter).filter((p) => p.trim() !== '').map((p) => path.resolve(p))),
    slaOverrides: slaOverrides(env),
    documentThreads: intFrom(env.GRMS_DOCUMENT_THREADS, Math.max(1, os.availableParallelism() - 1), 'GRMS_DOCUMENT_THREADS') || 1,
    workers: Math.max(1, intFrom(env.GRMS_WORKERS, os.availableParallelism(), 'GRMS_WORKERS')),
    shutdownGraceMs: intFrom(env.GRMS_SHUTDOWN_GRACE_SECONDS, 10, 'GRMS_SHUTDOWN_GRACE_SECONDS') * 1000,
    government: env.GRMS_GOVERNMENT || 'PEMERINTAH KOTA SEMARANG',
    documentPlace: env.GRMS_DOCUMENT_PLACE || 'Semarang',
    documentNumberFormat: numberFormatFrom(env.GRMS_DOCUMENT_NUMBER_FORMAT),
    caCertFile: env.GRMS_CA_CERT || undefined,
    caKeyFile: env.GRMS_CA_KEY || undefined,
    ocidPrefix: env.GRMS_OCID_PREFIX || DEFAULT_OCID_PREFIX,
    ocdsRate: Object.freeze({
      limit: intFrom(env.GRMS_OCDS_RATE_LIMIT, 300, 'GRMS_OCDS_RATE_LIMIT'),
      windowSeconds: Math.max(1, intFrom(env.GRMS_OCDS_RATE_WINDOW_SECONDS, 300, 'GRMS_OCDS_RATE_WINDOW_SECONDS')),
    }),
    publicIntake: Object.freeze({
      rate: Object.freeze({
        limit: intFrom(env.GRMS_PUBLIC_INTAKE_RATE_LIMIT, 5, 'GRMS_PUBLIC_INTAKE_RATE_LIMIT'),
        windowSeconds: Math.max(1, intFrom(env.GRMS_PUBLIC_INTAKE_RATE_WINDOW_SECONDS, 3600, 'GRMS_PUBLIC_INTAKE_RATE_WINDOW_SECONDS')),
      }),
      maxBodyBytes: Math.max(1024, intFrom(env.GRMS_PUBLIC_INTAKE_MAX_BODY_BYTES, 65_536, 'GRMS_PUBLIC_INTAKE_MAX_BODY_BYTES')),
      maxAttachments: intFrom(env.GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS, 5, 'GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS'),
    }),
    caP12File: env.GRMS_CA_P12 || undefined,
    caPassphrase: env.GRMS_CA_PASSPHRASE || undefined,
    userP12Dir: env.GRMS_USER_P12_DIR || undefined,
    userP12Passphrase: env.GRMS_USER_P12_PASSPHRASE || undefined,
    verify: verifySettings(env),
    tsa: tsaConfig(env),
    pkcs11: pkcs11Config(env),
    pkcs11UserKeys: pkcs11UserKeys(env),
    metricsAddress: parseAddress(env.GRMS_METRICS_ADDRESS, 'GRMS_METRICS_ADDRESS'),
    metricsToken: parseToken(env.GRMS_METRICS_TOKEN, 'GRMS_METRICS_TOKEN'),
    comments: Object.freeze({
      perUser: Math.max(1, intFrom(env.GRMS_COMMENT_RATE_LIMIT, DEFAULT_COMMENT_LIMITS.perUser, 'GRMS_COMMENT_RATE_LIMIT')),
      windowSeconds: Math.max(1, intFrom(env.GRMS_COMMENT_RATE_WINDOW_SECONDS, DEFAULT_COMMENT_LIMITS.windowSeconds, 'GRMS_COMMENT_RATE_WINDOW_SECONDS')),
      attachmentQuotaBytes: intFrom(env.GRMS_ATTACHMENT_QUOTA_MB, DEFAULT_COMMENT_LIMITS.attachmentQuotaBytes / 1024 / 1024, 'GRMS_ATTACHMENT_QUOTA_MB') * 1024 * 1024,
    }),
    trustProxy: parseTrustProxy(env.GRMS_TRUST_PROXY),
    log: logConfig(env, publicUrl),
  });
}
