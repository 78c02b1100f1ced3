import type { Router } from 'express';
import { pageModules } from '../../src/web/router';
import { defaultRegistry } from '../../src/engine/registry';
import type { WebDeps } from '../../src/web/deps';

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * Every "METHOD /path/:param" the console's page areas (PAGES in src/web/router.ts, and the
 * workflow packages' console routes: pageModules) serve, read
 * from their Express router stacks, sorted. Middleware mounted at a path (the admin area's role
 * gate) is not a route; a router mounted at a path would hide its routes' full paths, so it fails
 * loudly instead of being skipped.
 */
export function consoleRoutes(): string[] {
  // Page areas only keep `deps` for their handlers; reading it while registering routes would be a bug here.
  const deps = new Proxy({} as WebDeps, {
    get(_t, name) {
      throw new Error(`a console page area reads deps.${String(name)} while registering its routes; consoleRoutes() cannot list it`);
    },
  });
  const out = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        if (typeof layer.route.path !== 'string') throw new Error(`console route with a non-string path ${String(layer.route.path)}: give it a string pattern so the matrix can name it`);
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.add(`${method.toUpperCase()} ${layer.route.path}`);
        }
      } else if (layer.handle.stack) {
        if (layer.rawPath !== undefined && layer.rawPath !== '/') throw new Error(`a router is mounted at ${String(layer.rawPath)}: mount page areas without a path so their routes carry their full paths`);
        walk(layer.handle.stack);
      }
    }
  };
  for (const mount of pageModules(defaultRegistry())) walk((mount(deps) as Router & { stack: Layer[] }).stack);
  return [...out].sort();
}
