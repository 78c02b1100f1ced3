/**
 * OCDS 1.1 packages: a release package (the releases of one contracting process) and a record
 * package (its record: every release and the compiled release, merged by OCDS's rules).
 */
import type { Json, OcdsSettings, Release } from './releases';

const LICENSE = 'https://creativecommons.org/licenses/by/4.0/';

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * OCDS merging (https://standard.open-contracting.org/1.1/en/schema/merging/): a later value
 * replaces an earlier one, objects merge member by member, arrays of objects with an `id` merge
 * object by object on their id, other arrays are replaced whole, and null removes a member.
 */
function merge(into: Json, from: Json): Json {
  const out: Json = { ...into };
  for (const [key, value] of Object.entries(from)) {
    const earlier = out[key];
    if (value === null) delete out[key];
    else if (isObject(value)) out[key] = merge(isObject(earlier) ? earlier : {}, value);
    else if (Array.isArray(value) && value.length > 0 && value.every((v) => isObject(v) && 'id' in v)) {
      const merged = Array.isArray(earlier) ? [...(earlier as unknown[])] : [];
      for (const item of value as Json[]) {
        const at = merged.findIndex((m) => isObject(m) && m.id === item.id);
        if (at >= 0) merged[at] = merge(merged[at] as Json, item);
        else merged.push(merge({}, item));
      }
      out[key] = merged;
    } else out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** The compiled release: every release merged in order, tagged `compiled`. */
export function compiledRelease(releases: Release[]): Release {
  const merged = releases.reduce<Json>((acc, r) => merge(acc, r), {});
  const last = releases.at(-1)!;
  return { ...merged, id: `${last.ocid}-${last.date}`, date: last.date, tag: ['compiled'] } as Release;
}

function packageHead(uri: string, releases: Release[], s: Pick<OcdsSettings, 'government'>): Json {
  // Made on demand: the date of the newest content, not of the request.
  const publishedDate = releases.map((r) => r.date).sort().at(-1)!;
  return { uri, version: '1.1', publishedDate, publisher: { name: s.government }, license: LICENSE };
}

export function releasePackage(uri: string, releases: Release[], s: Pick<OcdsSettings, 'government'>): Json {
  return { ...packageHead(uri, releases, s), releases };
}

/** `releasesUri`: where the release package of the same releases is served. */
export function recordPackage(uri: string, releasesUri: string, releases: Release[], s: Pick<OcdsSettings, 'government'>): Json {
  return {
    ...packageHead(uri, releases, s),
    packages: [releasesUri],
    records: [{ ocid: releases[0]!.ocid, releases, compiledRelease: compiledRelease(releases) }],
  };
}
