import { documentPaths } from '../../src/api/openapi';
import { loadConfig } from '../../src/config';
import { defaultRegistry } from '../../src/engine/registry';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** The OpenAPI document's paths, the built-in workflow packages' included. */
export function openApiPaths(): Record<string, Record<string, unknown>> {
  return documentPaths(defaultRegistry().packages, loadConfig({}).publicUrl);
}

/** Every "METHOD /path/{param}" the OpenAPI document lists, sorted. */
export function documentedRoutes(): string[] {
  return Object.entries(openApiPaths())
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** Documented routes that may change state (POST, PUT, PATCH, DELETE). */
export function mutatingRoutes(): string[] {
  return documentedRoutes().filter((r) => /^(POST|PUT|PATCH|DELETE) /.test(r));
}
