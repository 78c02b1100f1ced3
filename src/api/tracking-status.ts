import express, { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { badRequest, GrmsError } from '../errors';
import { jsonObjectBody } from './middleware';
import { checkFormBody } from './request-guard';
import { clientAddress } from './client-address';
import { publicLookup, TooManyAttempts, type TrackedInstance, type TrackingLimits } from '../tracking/lookup';

/** The texts of a workflow's public status page (in the language its applicants read). */
export interface StatusPageTexts {
  lang: string;
  /** The page title, e.g. "Status Permohonan Izin". */
  title: string;
  intro: string;
  numberLabel: string;
  numberPlaceholder: string;
  pinLabel: string;
  submit: string;
  notFound: string;
  missing: string;
  tooMany(minutes: number): string;
}

/** What a workflow says about its public status route; the core does the lookup, limits and forms. */
export interface StatusRouteSpec<V> {
  workflow: string;
  /** JSON for programs: POST here with { registrationNumber, pin } (the PIN in the body, out of URLs and logs). */
  apiPath: string;
  /** The HTML page: GET shows the form (or the status, given the query), POST is what the form sends. */
  pagePath: string;
  /** What of the instance the applicant sees, as JSON; never comments, data beyond it, or officials' names. */
  view(found: TrackedInstance): V;
  /** The same as rows of the page's table: label and text. */
  rows(view: V, timeZone: string): Array<[string, string]>;
  /**
   * Lines at the head of the page (the government, the office): for the form (`view` undefined)
   * and for a status found.
   */
  header?(view?: V): string[];
  /** Sections after the status table: what happens next, whom to contact. */
  sections?(view: V): StatusPageSection[];
  texts: StatusPageTexts;
}

/** A section of the status page: a heading with a paragraph, rows of label and text, or both. */
export interface StatusPageSection {
  heading: string;
  text?: string;
  rows?: Array<[string, string]>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The registration number, as every route names it (`registrationNumber`, like the receipt and the
 * status answer). `registration`, its name before, is still taken; both at once must agree.
 */
export function registrationNumberOf(input: Record<string, unknown>): unknown {
  const { registrationNumber, registration } = input;
  if (registrationNumber !== undefined && registration !== undefined && registrationNumber !== registration) {
    throw badRequest('Give the registration number once, as registrationNumber', [{ path: '/registration', message: 'differs from registrationNumber (its newer name)' }]);
  }
  return registrationNumber ?? registration;
}

/**
 * A workflow's public status route (no login) over the core's tracking lookup: JSON at
 * `spec.apiPath`, and an HTML page at `spec.pagePath` whose form posts the same way; GET with
 * ?registrationNumber=&pin= also works, for links typed by hand. `timeZone`: the deployment's.
 */
export function trackingStatusRouter<V>(db: Kysely<Database>, timeZone: string, spec: StatusRouteSpec<V>, limits?: TrackingLimits): Router {
  const { texts } = spec;
  const r = Router();
  const lookup = async (req: Request, input: Record<string, unknown>) =>
    spec.view(await publicLookup(db, spec.workflow, { registrationNumber: registrationNumberOf(input), pin: input.pin, clientIp: clientAddress(req) }, limits));

  const header = (view?: V) => {
    const lines = spec.header?.(view) ?? [];
    return lines.length ? `<header class="office">${lines.map((l, i) => `<p${i === 0 ? ' class="government"' : ''}>${escapeHtml(l)}</p>`).join('')}</header>` : '';
  };
  const page = (title: string, body: string, view?: V) => `<!doctype html><html lang="${escapeHtml(texts.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ${escapeHtml(texts.title)}</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/tracking-status.css"></head>
<body>${header(view)}<main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  const sections = (view: V) => (spec.sections?.(view) ?? []).map((s, i) => `<section aria-labelledby="s${i}"><h2 id="s${i}">${escapeHtml(s.heading)}</h2>${s.text ? `<p>${escapeHtml(s.text)}</p>` : ''}${s.rows?.length ? `<dl>${s.rows.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>` : ''}</section>`).join('');
  const form = (registration = '') => `<form method="post" action="${escapeHtml(spec.pagePath)}">
<label for="registrationNumber">${escapeHtml(texts.numberLabel)}</label><input id="registrationNumber" name="registrationNumber" value="${escapeHtml(registration)}" placeholder="${escapeHtml(texts.numberPlaceholder)}" required maxlength="64">
<label for="pin">${escapeHtml(texts.pinLabel)}</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required maxlength="32">
<button type="submit">${escapeHtml(texts.submit)}</button></form>`;
  const table = (view: V) => `<table>${spec.rows(view, timeZone).map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;

  r.post(spec.apiPath, async (req, res) => {
    const body = jsonObjectBody(req);
    res.set('Cache-Control', 'no-store');
    try {
      res.json(await lookup(req, body));
    } catch (err) {
      if (err instanceof TooManyAttempts) res.set('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
  });

  const html = async (req: Request, res: Response, input: Record<string, unknown>) => {
    res.set('Cache-Control', 'no-store');
    if (input.registrationNumber === undefined && input.registration === undefined && input.pin === undefined) {
      res.type('html').send(page(texts.title, `<p>${escapeHtml(texts.intro)}</p>${form()}`));
      return;
    }
    try {
      const view = await lookup(req, input);
      res.type('html').send(page(texts.title, table(view) + sections(view), view));
    } catch (err) {
      if (!(err instanceof GrmsError) || ![400, 404, 429].includes(err.status)) throw err;
      if (err instanceof TooManyAttempts) res.set('Retry-After', String(err.retryAfterSeconds));
      const message = err instanceof TooManyAttempts ? texts.tooMany(Math.ceil(err.retryAfterSeconds / 60))
        : err.status === 404 ? texts.notFound : texts.missing;
      const given = input.registrationNumber ?? input.registration;
      res.status(err.status).type('html').send(page(texts.title, `<p role="alert">${escapeHtml(message)}</p>${form(typeof given === 'string' ? given.slice(0, 64) : '')}`));
    }
  };
  r.get(spec.pagePath, (req, res) => html(req, res, req.query as Record<string, unknown>));
  r.post(spec.pagePath, express.urlencoded({ extended: false, limit: '4kb', verify: checkFormBody }), (req, res) => html(req, res, (req.body ?? {}) as Record<string, unknown>));
  return r;
}
