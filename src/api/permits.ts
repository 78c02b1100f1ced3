import express, { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { badRequest, GrmsError } from '../errors';
import { formatDateTimeId } from '../documents/format';
import { publicPermitStatus, TooManyAttempts, type PublicPermitStatus, type StatusLimits } from '../permits/status';
import { jsonObjectBody } from './middleware';
import { checkFormBody } from './request-guard';
import { clientAddress } from './client-address';

/**
 * Public permit status, for applicants (no login): JSON at POST /api/v1/permits/status (the PIN
 * travels in the body, out of URLs and access logs), and an HTML page at /permits/status whose
 * form posts the same way; GET with ?registrationNumber=&pin= also works, for links typed by hand.
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Status Permohonan Izin</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/permit-status.css"></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function form(registration = ''): string {
  return `<form method="post" action="/permits/status">
<label for="registrationNumber">Nomor registrasi</label><input id="registrationNumber" name="registrationNumber" value="${escapeHtml(registration)}" placeholder="REG/DPMPTSP/2026/000123" required maxlength="64">
<label for="pin">PIN (pada tanda terima)</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required maxlength="32">
<button type="submit">Lihat status</button></form>`;
}

function statusHtml(s: PublicPermitStatus, timeZone: string): string {
  const when = (iso: string) => formatDateTimeId(new Date(iso), timeZone);
  const rows: Array<[string, string]> = [
    ['Nomor registrasi', s.registrationNumber],
    ['Jenis izin', s.permitType.label],
    ['Tahap', s.stage.label],
    ['Terdaftar', when(s.registeredAt)],
    ['Perubahan terakhir', when(s.lastChangeAt)],
    ['Batas waktu', s.dueDate ? when(s.dueDate) : '-'],
    ...(s.permitNumber ? [['Nomor izin', s.permitNumber] as [string, string]] : []),
  ];
  return `<table>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

/**
 * The registration number, as every route names it (`registrationNumber`, like the receipt and the
 * status answer). `registration`, its name here before, is still taken; both at once must agree.
 */
export function registrationNumberOf(input: Record<string, unknown>): unknown {
  const { registrationNumber, registration } = input;
  if (registrationNumber !== undefined && registration !== undefined && registrationNumber !== registration) {
    throw badRequest('Give the registration number once, as registrationNumber', [{ path: '/registration', message: 'differs from registrationNumber (its newer name)' }]);
  }
  return registrationNumber ?? registration;
}

/** `timeZone`: the deployment's, for every time shown. */
export function permitStatusRouter(db: Kysely<Database>, timeZone: string, limits?: StatusLimits): Router {
  const r = Router();
  const lookup = (req: Request, input: Record<string, unknown>) => publicPermitStatus(db, { registrationNumber: registrationNumberOf(input), pin: input.pin, clientIp: clientAddress(req) }, limits);

  r.post('/api/v1/permits/status', async (req, res) => {
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
      res.type('html').send(page('Status Permohonan Izin', `<p>Masukkan nomor registrasi dan PIN yang tercetak pada tanda terima.</p>${form()}`));
      return;
    }
    try {
      const status = await lookup(req, input);
      res.type('html').send(page('Status Permohonan Izin', statusHtml(status, timeZone)));
    } catch (err) {
      if (!(err instanceof GrmsError) || ![400, 404, 429].includes(err.status)) throw err;
      if (err instanceof TooManyAttempts) res.set('Retry-After', String(err.retryAfterSeconds));
      const message = err.status === 429
        ? `Terlalu banyak percobaan PIN yang salah. Coba lagi dalam ${Math.ceil((err as TooManyAttempts).retryAfterSeconds / 60)} menit.`
        : err.status === 404 ? 'Nomor registrasi atau PIN tidak cocok.' : 'Isi nomor registrasi dan PIN.';
      const given = input.registrationNumber ?? input.registration;
      res.status(err.status).type('html').send(page('Status Permohonan Izin', `<p role="alert">${escapeHtml(message)}</p>${form(typeof given === 'string' ? given.slice(0, 64) : '')}`));
    }
  };
  r.get('/permits/status', (req, res) => html(req, res, req.query as Record<string, unknown>));
  r.post('/permits/status', express.urlencoded({ extended: false, limit: '4kb', verify: checkFormBody }), (req, res) => html(req, res, (req.body ?? {}) as Record<string, unknown>));
  return r;
}
