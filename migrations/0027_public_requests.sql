-- Requests to public read routes that are limited per client address (the OCDS publication,
-- /api/v1/ocds…), so the limit holds across every API process. As with verify_attempts (0020):
-- a request is recorded first and the window counted with it included (concurrent requests cannot
-- slip past together), a refused one is removed again, and rows older than the window are pruned.
-- These rows are counters, not history: they are deleted, so no append-only trigger guards them.
CREATE TABLE public_requests (
  id          bigserial PRIMARY KEY,
  route       text NOT NULL,   -- which limit the request counts toward, e.g. 'ocds'
  client      text NOT NULL,   -- the client address as the server sees it (src/api/client-address.ts)
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX public_requests_client ON public_requests (route, client, created_at);
CREATE INDEX public_requests_created ON public_requests (created_at);
