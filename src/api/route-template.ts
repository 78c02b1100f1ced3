import type { Request } from 'express';

/**
 * Follows which route template a request matched, with the mount path it was matched under
 * (`/api/v1/instances/:id/events`). Read when the response finishes, `req.baseUrl` has already
 * been restored to the outer router's for a request whose error went to the app's problem
 * handler, which labelled its 4xx `/instances/:id/events` while its 2xx said
 * `/api/v1/instances/:id/events`: the template is therefore taken when the router sets
 * `req.route`. Returns a reader: the template, or undefined when no route matched.
 */
export function followRouteTemplate(req: Request): () => string | undefined {
  let route: Request['route'] = undefined;
  let template: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: Request['route']) {
      route = value;
      if (value?.path) template = `${req.baseUrl}${String(value.path)}`;
    },
  });
  return () => template;
}
