import crypto from 'node:crypto';
import type { Policy } from '../tlog';
import type { KnownCheckpoint } from './verify-log';

const TIMEOUT_MS = 10_000;
const MAX_BYTES = 64 * 1024;

/**
 * The latest checkpoint each policy witness with a URL cosigned for the policy's log
 * (GET <prefix>/<hex SHA-256 of the origin>/checkpoint): what the world saw, to hold the database
 * to. A witness that cannot be reached is skipped with a notice on stderr, never counted as agreement.
 */
export async function witnessCheckpoints(policy: Policy, warn: (m: string) => void = (m) => process.stderr.write(`grms: ${m}\n`)): Promise<KnownCheckpoint[]> {
  const out: KnownCheckpoint[] = [];
  for (const log of policy.logs) {
    const id = crypto.createHash('sha256').update(log.name).digest('hex');
    for (const [name, url] of policy.urls) {
      try {
        const res = await fetch(`${url.replace(/\/+$/, '')}/${id}/checkpoint`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        const text = await res.text();
        if (res.status === 404) continue;
        if (!res.ok || text.length > MAX_BYTES) throw new Error(`answered ${res.status}`);
        out.push({ from: `witness ${name}`, note: text });
      } catch (err) {
        warn(`witness ${name} (${url}) could not be asked: ${(err as Error).message}`);
      }
    }
  }
  return out;
}
