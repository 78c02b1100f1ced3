import crypto from 'node:crypto';
import type { Readable } from 'node:stream';

/** An uploaded file, read and hashed as it arrived. */
export interface Upload {
  /** The bytes, in memory of their own: the check may move them to its thread (then they are gone here). */
  bytes: Buffer;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
}

/**
 * Reads an upload as it arrives, so that a large file is many small steps on the event loop and
 * never one long one: each chunk is hashed and copied into a buffer sized from the declared length
 * (grown when there is none). Resolves undefined, after draining the rest, when the stream holds
 * more than `maxBytes`; rejects when the stream breaks off.
 */
export function readUpload(stream: Readable, maxBytes: number, declaredBytes?: number): Promise<Upload | undefined> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    // allocUnsafeSlow: never a slice of Node's shared pool, so the memory can be transferred.
    let buf = Buffer.allocUnsafeSlow(Math.max(1, Math.min(maxBytes, declaredBytes ?? 64 * 1024)));
    let length = 0;
    let over = false;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      if (over || length + chunk.length > maxBytes) {
        over = true;
        return;
      }
      if (length + chunk.length > buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.min(maxBytes, Math.max(buf.length * 2, length + chunk.length)));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      chunk.copy(buf, length);
      length += chunk.length;
      hash.update(chunk);
    });
    stream.once('end', () => {
      ended = true;
      resolve(over ? undefined : { bytes: buf.subarray(0, length), sha256: hash.digest('hex') });
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) reject(new Error('the upload broke off before its end'));
    });
  });
}
