import { parseVerifierKey, type VerifierKey } from '../tlog';

/** A witness the log pushes its checkpoints to (GRMS_WITNESSES): its cosignature key and submission prefix. */
export interface Witness {
  /** The key's name, as its cosignature lines carry it. */
  name: string;
  key: VerifierKey;
  url: string;
}

export class WitnessConfigInvalid extends Error {
  readonly code = 'WITNESS_CONFIG_INVALID';
}

/**
 * GRMS_WITNESSES: entries separated by ";", each "<cosignature vkey> <url>" (the witness's
 * submission prefix, http or https). Keys must be cosignature/v1; names must differ.
 */
export function parseWitnesses(text: string | undefined): Witness[] {
  const out: Witness[] = [];
  for (const entry of (text ?? '').split(';').map((e) => e.trim()).filter(Boolean)) {
    const parts = entry.split(/\s+/);
    if (parts.length !== 2) throw new WitnessConfigInvalid(`GRMS_WITNESSES: "${entry.slice(0, 120)}" is not "<cosignature vkey> <url>"`);
    let key: VerifierKey;
    try {
      key = parseVerifierKey(parts[0]!);
    } catch (err) {
      throw new WitnessConfigInvalid(`GRMS_WITNESSES: ${(err as Error).message}`, { cause: err });
    }
    if (key.type !== 'cosignature/v1') throw new WitnessConfigInvalid(`GRMS_WITNESSES: the key of ${key.name} is not a cosignature/v1 key`);
    let url: URL;
    try {
      url = new URL(parts[1]!);
    } catch (err) {
      throw new WitnessConfigInvalid(`GRMS_WITNESSES: "${parts[1]}" is not a URL`, { cause: err });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WitnessConfigInvalid(`GRMS_WITNESSES: ${url.href} must be http or https`);
    if (out.some((w) => w.name === key.name)) throw new WitnessConfigInvalid(`GRMS_WITNESSES: witness ${key.name} is listed twice`);
    out.push({ name: key.name, key, url: url.href.replace(/\/+$/, '') });
  }
  return out;
}

