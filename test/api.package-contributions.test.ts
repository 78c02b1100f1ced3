import { Router } from 'express';
import { servedOpenApi } from '../src/api/openapi-operations';
import { documentPaths } from '../src/api/openapi';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import type { WorkflowPackage } from '../src/engine/package';
import { isConsolePath, pageModules, PAGES } from '../src/web/router';

/**
 * What a workflow package contributes besides its versions reaches the core through the contract
 * only: its OpenAPI parts are merged into the served document, its public paths are left alone by
 * the console, and its console routes are mounted with the console's pages. A package with no
 * versions is enough to show it.
 */
const extra: WorkflowPackage = {
  name: 'extra-desk',
  title: { id: 'Meja tambahan', en: 'Extra desk' },
  versions: [],
  roles: {},
  labels: { id: {}, en: {} },
  routes: {
    public: () => Router(),
    publicPaths: ['/extra/status', '/extra/files/'],
    console: () => Router().get('/extra/page', (_req, res) => { res.end(); }),
  },
  openapi: () => ({
    tags: { extra: 'An extra desk' },
    schemas: { ExtraStatus: { type: 'object' } },
    paths: {
      '/extra/status': {
        get: {
          operationId: 'getExtraStatus', tags: ['extra'], summary: 'Extra status', description: 'The status of an extra desk.',
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/ExtraStatus' } } } } },
        },
      },
    },
  }),
};
const registry = new WorkflowRegistry([...defaultRegistry().packages, extra]);

test('a package\'s paths, schemas and tags are in the served document, public unless it says otherwise', () => {
  const doc = servedOpenApi({ publicUrl: 'https://grms.example', government: 'grms', registry }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(doc.paths['/extra/status'].get).toMatchObject({ operationId: 'getExtraStatus', tags: ['extra'], security: [] });
  expect(doc.components.schemas.ExtraStatus).toEqual({ type: 'object' });
  expect(doc.tags).toContainEqual({ name: 'extra', description: 'An extra desk' });
  expect(Object.keys(documentPaths(registry.packages, 'https://grms.example'))).toContain('/extra/status');
  expect(Object.keys(documentPaths(defaultRegistry().packages, 'https://grms.example'))).not.toContain('/extra/status');
});

test('a package may not take a path the document already has', () => {
  const clash = new WorkflowRegistry([...defaultRegistry().packages, { ...extra, openapi: () => ({ paths: { '/healthz': {} } }) }]);
  expect(() => servedOpenApi({ publicUrl: 'https://grms.example', government: 'grms', registry: clash })).toThrow(/extra-desk documents \/healthz/);
});

test('the console leaves a package\'s public paths alone and mounts its console routes', () => {
  expect(isConsolePath('/extra/status', registry)).toBe(false);
  expect(isConsolePath('/extra/files/a.pdf', registry)).toBe(false);
  expect(isConsolePath('/extra/statuses', registry)).toBe(true);
  expect(isConsolePath('/extra/status')).toBe(true); // not registered: the console's (its 404)
  expect(pageModules(registry)).toEqual([...pageModules(defaultRegistry()), extra.routes!.console]);
  expect(pageModules(defaultRegistry()).slice(0, PAGES.length)).toEqual(PAGES);
});
