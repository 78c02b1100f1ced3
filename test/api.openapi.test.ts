import type { Express } from 'express';
import { openApiPaths } from './support/routes';
import { servedOpenApi } from '../src/api/openapi-operations';
import { loadConfig } from '../src/config';
import { defaultRegistry } from '../src/engine/registry';
import { buildApp, startTestApp } from './support/app';
import { createTestDb } from './support/db';
import crypto from 'node:crypto';

interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/**
 * Every "METHOD /path/{param}" the Express app actually serves. The web console's pages
 * (src/web, HTML for browsers) are not API routes: they sit behind a path filter in
 * src/web/router.ts, so this walk does not reach them and the document does not list them.
 */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          if (m === '_all') continue;
          out.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}'));
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(out)].sort();
}

test('the OpenAPI document lists exactly the routes the app serves', async () => {
  const db = await createTestDb('pglite');
  try {
    const { app, close } = await buildApp(db, crypto.randomBytes(32));
    await close();
    const documented = Object.entries(openApiPaths())
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(servedRoutes(app)).toEqual(documented);
  } finally {
    await db.close();
  }
});

test('the served /openapi.json is that document', async () => {
  const app = await startTestApp('pglite', { seed: false });
  try {
    const res = await app.call(undefined, 'GET', '/openapi.json');
    const { publicUrl, government } = loadConfig({});
    expect(res.body).toEqual(JSON.parse(JSON.stringify(servedOpenApi({ publicUrl, government, registry: defaultRegistry() }))));
  } finally {
    await app.close();
  }
});
