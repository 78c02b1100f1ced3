import { formatAddCheckpoint } from './request';

/**
 * The log's side of C2SP tlog-witness add-checkpoint. Every HTTP answer is a result (the caller
 * decides what a 409 or a 422 means for it); only a witness that cannot be reached throws.
 */
export type AddCheckpointResult = { ok: true; cosignatures: string[] } | { ok: false; status: number; size?: number; message: string };

/** The witness could not be reached or did not answer in time (no HTTP status to report). */
export class WitnessUnreachable extends Error {
  readonly code = 'WITNESS_UNREACHABLE';
  constructor(
    readonly url: string,
    readonly timedOut: boolean,
    options: { cause: unknown },
  ) {
    super(`witness ${url} ${timedOut ? 'did not answer in time' : `could not be reached: ${(options.cause as Error)?.message ?? options.cause}`}`, options);
  }
}

/** More than any witness answer needs (a few signature lines); a longer answer is cut off and refused. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const SIGNATURE_LINE = /^— [^\s+]+ [A-Za-z0-9+/]+={0,2}$/u;

/** Reads at most `max` bytes of the body; undefined when it is longer. */
async function readBounded(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function messageOf(res: Response, text: string): string {
  if ((res.headers.get('content-type') ?? '').startsWith('application/problem+json')) {
    try {
      const p = JSON.parse(text) as { detail?: unknown; code?: unknown };
      if (typeof p.detail === 'string') return typeof p.code === 'string' ? `${p.detail} [${p.code}]` : p.detail;
    } catch {
      // not JSON after all: the text below
    }
  }
  const t = text.trim().slice(0, 500);
  return t || `HTTP ${res.status}`;
}

/** POSTs `old N`, the proof and the checkpoint to `${url}/add-checkpoint` (url: the witness's submission prefix). */
export async function addCheckpoint(url: string, req: { oldSize: number; proof: Buffer[]; checkpoint: string }, opts?: { timeoutMs?: number }): Promise<AddCheckpointResult> {
  const endpoint = `${url.replace(/\/+$/, '')}/add-checkpoint`;
  const signal = AbortSignal.timeout(opts?.timeoutMs ?? 10_000);
  let res: Response;
  let text: string | undefined;
  try {
    res = await fetch(endpoint, { method: 'POST', body: formatAddCheckpoint(req), headers: { 'content-type': 'text/plain; charset=utf-8' }, signal });
    text = await readBounded(res, MAX_RESPONSE_BYTES);
  } catch (err) {
    throw new WitnessUnreachable(endpoint, signal.aborted, { cause: err });
  }
  if (text === undefined) return { ok: false, status: res.status, message: `the answer is longer than ${MAX_RESPONSE_BYTES} bytes` };
  if (res.status === 200) {
    const lines = text.split('\n');
    if (lines.pop() !== '' || lines.length === 0 || !lines.every((l) => SIGNATURE_LINE.test(l))) {
      return { ok: false, status: 200, message: 'the witness answered 200 without note signature lines ("— name base64", each ending in a newline)' };
    }
    return { ok: true, cosignatures: lines };
  }
  if (res.status === 409) {
    const m = /^(0|[1-9][0-9]*)\n$/.exec(text);
    const size = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'text/x.tlog.size' && m ? Number(m[1]) : undefined;
    if (size !== undefined && Number.isSafeInteger(size)) return { ok: false, status: 409, size, message: `the witness last cosigned size ${size}` };
    return { ok: false, status: 409, message: messageOf(res, text) };
  }
  return { ok: false, status: res.status, message: messageOf(res, text) };
}
