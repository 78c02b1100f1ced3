/**
 * The OCDS publication as the package contributes it: its routes (public and behind the token)
 * and their OpenAPI part, with the publisher settings taken from the deployment's (config:
 * GRMS_OCID_PREFIX, GRMS_GOVERNMENT, GRMS_OCDS_RATE_LIMIT / _WINDOW_SECONDS).
 */
import type { Router } from 'express';
import type { PackageDeps } from '../../../src/engine/package';
import type { PublicRate } from '../../../src/api/public-rate';
import { bearer, errors, ok, publicPaths } from '../../../src/api/openapi-responses';
import { ref } from '../../../src/api/openapi-schemas';
import { ocdsInstanceRouter, publicOcdsRouter } from './routes';
import { ocdsOperations, ocdsPaths, ocdsReleasePackageSchema } from './openapi';
import type { OcdsSettings } from './releases';

/** The deployment settings the publication reads (src/config.ts fills them, defaults included). */
function settingsOf(deps: PackageDeps): OcdsSettings & { rate: PublicRate } {
  const s = deps.settings as { ocidPrefix?: string; government?: string; ocdsRate?: PublicRate };
  if (s.ocidPrefix === undefined || s.government === undefined || s.ocdsRate === undefined) {
    throw new Error('the OCDS publication needs the settings ocidPrefix, government and ocdsRate');
  }
  return { ocidPrefix: s.ocidPrefix, government: s.government, publicUrl: deps.publicUrl, timeZone: deps.timezone, rate: s.ocdsRate };
}

export const ocdsRoutes = {
  public: (deps: PackageDeps): Router => publicOcdsRouter(deps.db, settingsOf(deps)),
  api: (deps: PackageDeps): Router => ocdsInstanceRouter(deps.db, deps.engine, settingsOf(deps)),
};

/** Each operation with its operationId, tag and description. */
function described(paths: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(paths).map(([path, item]) => [path, Object.fromEntries(Object.entries(item).map(([method, op]) => {
    const [operationId, tag, description] = ocdsOperations[`${method.toUpperCase()} ${path}`] ?? [];
    return [method, { ...(operationId && { operationId }), ...(op as object), ...(tag && { tags: [tag] }), ...(description && { description }) }];
  }))]));
}

export const ocdsOpenApi = {
  tags: { procurement: 'Procurement delivery as OCDS' },
  schemas: { OcdsReleasePackage: ocdsReleasePackageSchema },
  paths: {
    '/api/v1/instances/{id}/ocds': {
      get: {
        operationId: 'getInstanceOcds', tags: ['procurement'], security: bearer,
        summary: 'A procurement-delivery contract as an OCDS 1.1 release package (parties, planning.budget, award, contract with termin milestones, SP2D transactions, documents); ocid from GRMS_OCID_PREFIX',
        description: 'The contract of a procurement-delivery instance as an OCDS 1.1 release package.',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': ok('OCDS 1.1 release package', ref('OcdsReleasePackage')), ...errors(404) },
      },
    },
    // Public, rate-limited, read from the database.
    ...described(publicPaths(ocdsPaths, [429, 503]) as Record<string, Record<string, unknown>>),
  },
};
