import fs from 'node:fs';
import { parsePolicy, parseVerifierKey, policyFromKeys, TlogError, type Policy } from '../tlog';

/**
 * The keys a verifier trusts for the public log: the log's verifier key and the witnesses' keys
 * with a quorum, or a C2SP tlog-policy file. Always from the verifier's own command line or
 * configuration, never from the deployment's database or the file being verified.
 */
export class LogTrustMissing extends Error {
  readonly code = 'LOG_TRUST_MISSING';
  constructor() {
    super(
      'give the keys to verify with: --log-key <vkey or file> (from `grms key show` on the server, by a channel you trust) ' +
      'and --witness-key <vkey> for each witness you rely on, or --policy <tlog-policy file>. ' +
      'Keys read from the database or from the file being verified would prove nothing.',
    );
  }
}

export interface TrustOptions {
  logKey?: string;
  witnessKey?: string[];
  quorum?: string;
  policy?: string;
}

/** A value that may be a file holding it. */
function textOrFile(arg: string): string {
  return !arg.includes('+') && fs.existsSync(arg) ? fs.readFileSync(arg, 'utf8').trim() : arg.trim();
}

/** Is this --log-key a C2SP verifier key (name+id+key) rather than a bare PEM/base64 key? */
export function isVerifierKey(arg: string | undefined): boolean {
  if (!arg) return false;
  const t = textOrFile(arg);
  return /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(t);
}

export function policyFromOptions(opts: TrustOptions): Policy {
  if (opts.policy) {
    if (opts.logKey || opts.witnessKey?.length) throw new TlogError('TLOG_POLICY', 'give either --policy or --log-key/--witness-key, not both');
    return parsePolicy(fs.readFileSync(opts.policy, 'utf8'));
  }
  if (!opts.logKey) throw new LogTrustMissing();
  const log = parseVerifierKey(textOrFile(opts.logKey));
  const witnesses = (opts.witnessKey ?? []).map((w) => parseVerifierKey(textOrFile(w)).text);
  const q = opts.quorum ?? 'all';
  const quorum = q === 'all' || q === 'any' ? q : /^[1-9][0-9]*$/.test(q) ? Number(q) : NaN;
  if (Number.isNaN(quorum)) throw new TlogError('TLOG_POLICY', `--quorum must be all, any or a number, got "${q}"`);
  if (typeof quorum === 'number' && quorum > witnesses.length) throw new TlogError('TLOG_POLICY', `--quorum ${quorum} needs at least ${quorum} --witness-key`);
  return policyFromKeys(log.text, witnesses, quorum);
}
