import { html, type SafeHtml } from './html';
import type { WebContext } from './context';
import { fieldError } from './forms/errors';
import { errorMessage } from './forms/messages';

/**
 * Plain labelled inputs for the console's fixed forms (audit filters, admin forms); the workflow
 * forms are built from their schemas instead (src/web/forms). An error names the field by the
 * same JSON Pointer the server's problem+json uses, and the input points at it.
 */
export interface FieldOptions {
  /** Element id; the error gets `${id}-error`, the hint `${id}-hint`. */
  id: string;
  name: string;
  label: string;
  value?: string;
  error?: string;
  hint?: string;
  required?: boolean;
  type?: 'text' | 'date' | 'password' | 'number';
  /** Extra attributes (autocomplete, maxlength …), built by the caller with html``. */
  attrs?: SafeHtml;
}

export interface Option {
  value: string;
  label: string;
}

function describedBy(o: FieldOptions): SafeHtml {
  const ids = [o.hint ? `${o.id}-hint` : '', o.error ? `${o.id}-error` : ''].filter(Boolean).join(' ');
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${o.error ? html` aria-invalid="true"` : ''}${o.required ? html` required aria-required="true"` : ''}`;
}

function labelOf(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`<label for="${o.id}">${o.label}${o.required ? html` <span class="req">(${ctx.t('form.required')})</span>` : ''}</label>`;
}

/** The messages of the people, organisation, delegation, holiday and export checks, for pages in Bahasa Indonesia. */
const ID: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^must be 2-63 lower-case letters, digits, \. _ -$/, () => 'harus 2–63 huruf kecil, angka, titik, garis bawah atau tanda hubung'],
  [/^must be a name of at most 200 characters$/, () => 'wajib diisi, paling banyak 200 karakter'],
  [/^must be the 18 digits of a NIP \(spaces allowed\)$/, () => 'harus 18 angka NIP (boleh berspasi)'],
  [/^must be a non-empty string of at most (\d+) characters$/, (m) => `wajib diisi, paling banyak ${m[1]} karakter`],
  [/^must be (?:a string )?(?:of )?at most (\d+) characters$/, (m) => `paling banyak ${m[1]} karakter`],
  [/^is not a known organisation$/, () => 'bukan OPD yang terdaftar'],
  [/^must be an organisation id$/, () => 'pilih OPD'],
  [/^must be one of /, () => 'pilih salah satu peran yang tersedia'],
  [/^is required$/, () => 'wajib diisi'],
  [/^must be (?:a date )?YYYY-MM-DD$/, () => 'harus tanggal yang ada (TTTT-BB-HH)'],
  [/^must not be before from$/, () => 'tidak boleh sebelum tanggal mulai'],
  [/^the delegator must hold this role at this organisation$/, () => 'pemberi harus memegang peran ini di OPD ini'],
  [/^must be plt or plh$/, () => 'pilih Plt. atau Plh.'],
  [/^must be an active user$/, () => 'harus pengguna yang aktif'],
  [/^must be someone else$/, () => 'harus orang lain'],
  [/^must belong to (\S+)$/, (m) => `harus pegawai ${m[1]}`],
  [/^must be (\d+) to (\d+) characters$/, (m) => `harus ${m[1]} sampai ${m[2]} karakter`],
  [/^must use at least (\d+) different characters$/, (m) => `harus memakai paling sedikit ${m[1]} karakter berbeda`],
  [/^must not contain control characters or lone surrogates$/, () => 'tidak boleh memuat karakter kontrol'],
  [/^is deactivated$/, () => 'sudah dinonaktifkan'],
  [/^must be a date or ISO 8601 time$/, () => 'harus tanggal atau waktu ISO 8601'],
  [/^must be an instance id$/, () => 'harus ID berkas proses (36 karakter, dari daftar)'],
  [/^must be csv or jsonl$/, () => 'pilih CSV atau JSONL'],
  [/^must be a single short value$/, () => 'harus satu nilai pendek'],
  [/^must be 2000\.\.2100$/, () => 'harus tahun 2000–2100'],
  [/^A user "(.+)" already exists$/, (m) => `Pengguna "${m[1]}" sudah ada`],
  [/^must be 2-40 lower-case letters, digits or -, starting with a letter or digit$/, () => 'harus 2–40 huruf kecil, angka atau tanda hubung, diawali huruf atau angka'],
  [/^must be opd or supplier$/, () => 'pilih OPD atau penyedia'],
  [/^must be a code of at most (\d+) characters, or null$/, (m) => `paling banyak ${m[1]} karakter`],
  [/^must be an NPWP: /, () => 'harus NPWP: 01.234.567.8-517.000 atau 16 angka'],
  [/^is required for a supplier$/, () => 'wajib diisi untuk penyedia'],
  [/^An organisation "(.+)" already exists$/, (m) => `Organisasi "${m[1]}" sudah ada`],
  [/^must be an address on one line of at most (\d+) characters, or null$/, (m) => `harus alamat dalam satu baris, paling banyak ${m[1]} karakter`],
  [/^must be a phone number of at most (\d+) characters: /, (m) => `harus nomor telepon, paling banyak ${m[1]} karakter: angka, spasi dan + ( ) . / , -`],
  [/^must be an e-mail address, or null$/, () => 'harus alamat pos-el'],
  [/^must be a website address, /, () => 'harus alamat laman, mis. dinkes.semarangkota.go.id'],
  [/^is (\d+) bytes; a logo is at most (\d+) bytes/, (m) => `berkas ${m[1]} bita; logo paling besar ${m[2]} bita (256 KB)`],
  [/^is (\d+)×(\d+) pixels; a logo is at most (\d+)×(\d+)$/, (m) => `gambar ${m[1]}×${m[2]} piksel; logo paling besar ${m[3]}×${m[4]} piksel`],
  [/^is not a (?:valid )?(?:PNG|JPEG)|^is not a JPEG pdfkit can embed/, () => 'bukan gambar PNG atau JPEG yang sah'],
];

/** A server message in the page's language (unknown ones as the server wrote them). */
export function say(ctx: WebContext, message: string): string {
  if (ctx.lang === 'id') {
    for (const [re, text] of ID) {
      const m = re.exec(message);
      if (m) return text(m);
    }
  }
  return errorMessage(ctx, message);
}

function tail(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`${o.hint ? html`<small id="${o.id}-hint">${o.hint}</small>` : ''}${fieldError(o.id, o.error ? say(ctx, o.error) : undefined)}`;
}

export function inputField(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`<div class="field">${labelOf(ctx, o)}
<input id="${o.id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${describedBy(o)}${o.attrs ?? ''}>${tail(ctx, o)}</div>`;
}

export function selectField(ctx: WebContext, o: FieldOptions & { options: readonly Option[]; empty?: string }): SafeHtml {
  return html`<div class="field">${labelOf(ctx, o)}
<select id="${o.id}" name="${o.name}"${describedBy(o)}${o.attrs ?? ''}>${o.empty !== undefined ? html`<option value="">${o.empty}</option>` : ''}${o.options.map((opt) => html`<option value="${opt.value}"${opt.value === (o.value ?? '') ? html` selected` : ''}>${opt.label}</option>`)}</select>${tail(ctx, o)}</div>`;
}

/** Above a refused form: "check the marked fields" when fields are marked, else the server's reason. */
export function errorSummary(ctx: WebContext, errors: Readonly<Record<string, string>>, message: string | undefined): SafeHtml {
  const text = Object.keys(errors).length ? ctx.t('form.errors') : message ? say(ctx, message) : undefined;
  return text ? html`<p class="error" role="alert">${text}</p>` : html``;
}
