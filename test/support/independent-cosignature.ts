import crypto from 'node:crypto';

/**
 * A cosignature check written from C2SP signed-note and tlog-cosignature with node:crypto only, so
 * tests judge the witness and the log by the specifications rather than by grms's own modules.
 */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The time of a valid cosignature/v1 line by `vkey` over the checkpoint body (the text before the blank line), else null. */
export function independentCosignatureTime(body: string, line: string, vkey: string): number | null {
  const [name, idHex, ...rest] = vkey.split('+');
  const material = Buffer.from(rest.join('+'), 'base64');
  if (material[0] !== 0x04 || material.length !== 33) return null;
  const raw = material.subarray(1);
  const keyId = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([0x04]), raw])).digest().subarray(0, 4);
  if (keyId.toString('hex') !== idHex) return null;
  const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
  if (!m || m[1] !== name) return null;
  const sig = Buffer.from(m[2]!, 'base64');
  if (sig.length !== 4 + 8 + 64 || !sig.subarray(0, 4).equals(keyId)) return null;
  const time = Number(sig.readBigUInt64BE(4));
  const key = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return crypto.verify(null, Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8'), key, sig.subarray(12)) ? time : null;
}

/** The checkpoint body of a signed note: everything up to its blank line. */
export const noteBody = (note: string): string => note.slice(0, note.indexOf('\n\n') + 1);
