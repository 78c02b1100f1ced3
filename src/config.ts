import os from 'node:os';
import path from 'node:path';

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
  /** Base URL printed in QR codes and links, and of the CRL every issued certificate names. */
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
  readonly timezone: string;
  readonly trustAnchorsFile: string | undefined;
  /** SLA working days per state that override a workflow's own, by workflow name. */
  readonly slaOverrides: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Worker threads that render and sign PDFs. */
  readonly documentThreads: number;
  /** Letterhead of every document, e.g. "PEMERINTAH KOTA SEMARANG". */
  readonly government: string;
  /** Place printed before the date above signatures ("Semarang, 25 November 2026"). */
  readonly documentPlace: string;
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
    if (!m || Number(m[2]) < 1) throw new Error(`${name} must look like "tapd_review=15,opd_review=3", got "${part}"`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env.PORT, 3000, 'PORT');
  const host = env.HOST || '127.0.0.1';
  return Object.freeze({
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.GRMS_DATA_DIR || 'data'),
    key: env.GRMS_KEY || undefined,
    port,
    host,
    publicUrl: (env.GRMS_PUBLIC_URL || `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/+$/, ''),
    publicUrlSet: Boolean(env.GRMS_PUBLIC_URL),
    checkpointIntervalMs: intFrom(env.GRMS_CHECKPOINT_INTERVAL_SECONDS, 300, 'GRMS_CHECKPOINT_INTERVAL_SECONDS') * 1000,
    deadlinePollMs: Math.max(1, intFrom(env.GRMS_DEADLINE_POLL_SECONDS, 30, 'GRMS_DEADLINE_POLL_SECONDS')) * 1000,
    logLevel: env.LOG_LEVEL || 'info',
    timezone: env.GRMS_TIMEZONE || 'Asia/Jakarta',
    trustAnchorsFile: env.GRMS_TRUST_ANCHORS || undefined,
    slaOverrides: { 'budget-proposal': parseSlaList(env.GRMS_SLA_BUDGET_PROPOSAL, 'GRMS_SLA_BUDGET_PROPOSAL') },
    documentThreads: intFrom(env.GRMS_DOCUMENT_THREADS, Math.max(1, os.availableParallelism() - 1), 'GRMS_DOCUMENT_THREADS') || 1,
    government: env.GRMS_GOVERNMENT || 'PEMERINTAH KOTA SEMARANG',
    documentPlace: env.GRMS_DOCUMENT_PLACE || 'Semarang',
    caCertFile: env.GRMS_CA_CERT || undefined,
    caKeyFile: env.GRMS_CA_KEY || undefined,
    ocidPrefix: env.GRMS_OCID_PREFIX || DEFAULT_OCID_PREFIX,
    caP12File: env.GRMS_CA_P12 || undefined,
    caPassphrase: env.GRMS_CA_PASSPHRASE || undefined,
    userP12Dir: env.GRMS_USER_P12_DIR || undefined,
    userP12Passphrase: env.GRMS_USER_P12_PASSPHRASE || undefined,
  });
}
