import { openApiDocument } from '../../src/api/openapi';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every "METHOD /path/{param}" the OpenAPI document lists, sorted. */
export function documentedRoutes(): string[] {
  return Object.entries(openApiDocument.paths)
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** Documented routes that may change state (POST, PUT, PATCH, DELETE). */
export function mutatingRoutes(): string[] {
  return documentedRoutes().filter((r) => /^(POST|PUT|PATCH|DELETE) /.test(r));
}
