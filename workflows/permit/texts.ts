import type { PackageLabels } from '../../src/engine/package';
import type { FormSectionInput } from '../../src/engine/package';
import { html, type SafeHtml } from '../../src/web/html';
import { CHECKLIST, checklistOf } from './checklist';

/**
 * The permit package's own words in both console languages: the checklist's documents, the
 * applicant's "what happens next" per state, and the refusal of an incomplete file. Labels: they
 * may change in place (the checklist itself is ./checklist.ts, part of v2).
 */
const documents = {
  id: {
    identity: 'KTP pemohon (perorangan) atau NIB (badan usaha)',
    land_title: 'Bukti kepemilikan atau penguasaan tanah',
    architecture_drawing: 'Gambar rencana arsitektur',
    structure_drawing: 'Gambar dan perhitungan struktur',
    building_approval: 'Salinan PBG',
    inspection_report: 'Laporan pemeriksaan kelaikan fungsi bangunan',
    advertisement_design: 'Desain dan ukuran reklame',
    site_consent: 'Denah lokasi dan persetujuan pemilik lahan',
  },
  en: {
    identity: "Applicant's identity card (person) or NIB (business)",
    land_title: 'Proof of land ownership or use',
    architecture_drawing: 'Architectural drawings',
    structure_drawing: 'Structural drawings and calculations',
    building_approval: 'Copy of the building approval (PBG)',
    inspection_report: 'Building fitness inspection report',
    advertisement_design: 'Design and size of the advertisement',
    site_consent: "Site plan and the land owner's consent",
  },
} as const;

/** What the applicant can expect next, per state, on the public status page. */
export const NEXT_STEPS: Readonly<Record<'id' | 'en', Readonly<Record<string, string>>>> = {
  id: {
    completeness_check: 'Petugas loket memeriksa kelengkapan berkas sesuai daftar dokumen persyaratan. Bila lengkap, berkas diteruskan ke tim teknis; bila belum, Anda akan dihubungi untuk melengkapinya.',
    returned: 'Berkas Anda belum lengkap. Datang ke loket DPMPTSP dengan dokumen yang diminta agar permohonan dapat diajukan ulang.',
    technical_review: 'Tim teknis OPD memeriksa dokumen dan dapat melakukan survei lapangan. Setelah itu mereka memberi rekomendasi.',
    fee_assessment: 'Kepala OPD teknis menetapkan besar retribusi. Anda akan menerima Surat Ketetapan Retribusi Daerah (SKRD).',
    awaiting_payment: 'Bayar retribusi sesuai SKRD di bank atau kanal pembayaran yang ditunjuk, lalu simpan bukti pembayarannya.',
    pending_signature: 'Pembayaran telah dikonfirmasi. Surat Keputusan Izin sedang menunggu tanda tangan Kepala DPMPTSP.',
    issued: 'Izin telah terbit. Ambil Surat Keputusan Izin di loket DPMPTSP atau unduh salinannya bila disediakan.',
    rejected: 'Permohonan ditolak. Alasannya tercantum pada surat penolakan; hubungi DPMPTSP bila ada pertanyaan.',
  },
  en: {
    completeness_check: 'The front desk checks your file against the list of required documents. If it is complete it goes to the technical team; if not, you will be asked to complete it.',
    returned: 'Your file is incomplete. Bring the requested documents to the DPMPTSP counter so the application can be resubmitted.',
    technical_review: "The agency's technical team reviews the documents and may survey the site, then gives its recommendation.",
    fee_assessment: 'The head of the technical agency sets the fee. You will receive the fee assessment (SKRD).',
    awaiting_payment: 'Pay the fee stated in the SKRD at the bank or payment channel named there, and keep the receipt.',
    pending_signature: 'Your payment is confirmed. The permit decree is waiting for the signature of the head of DPMPTSP.',
    issued: 'The permit is issued. Collect the permit decree at the DPMPTSP counter, or download its copy where offered.',
    rejected: 'The application was rejected. The reasons are in the rejection letter; contact DPMPTSP with any question.',
  },
};

const permitTypes = {
  id: { PBG: 'Persetujuan Bangunan Gedung (PBG)', SLF: 'Sertifikat Laik Fungsi (SLF)', REKLAME: 'Izin Penyelenggaraan Reklame' },
  en: { PBG: 'Building approval (PBG)', SLF: 'Certificate of building fitness (SLF)', REKLAME: 'Billboard permit (reklame)' },
} as const;

const prefixed = (prefix: string, table: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(table).map(([k, v]) => [`${prefix}.${k}`, v]));

/** The package's `values` and `texts` per language (index.ts hands them to the console). */
export const permitTexts: Readonly<Record<'id' | 'en', Required<Pick<PackageLabels, 'values' | 'texts'>>>> = {
  id: {
    values: { ...prefixed('document', documents.id), ...prefixed('permitType', permitTypes.id) },
    texts: {
      ...prefixed('checklist', documents.id),
      ...prefixed('next', NEXT_STEPS.id),
      'checklist.title': 'Dokumen persyaratan',
      'checklist.intro': 'Berkas lengkap bila setiap dokumen di bawah ini dilampirkan (pilih jenis dokumen pada lampiran).',
      'checklist.done': 'ada',
      'checklist.missing': 'belum ada',
      'checklist.none': 'Dokumen yang diperlukan menurut jenis izin:',
      'problem.CHECKLIST_INCOMPLETE': 'Berkas belum lengkap: setiap dokumen persyaratan harus dilampirkan sebelum ditandai lengkap.',
    },
  },
  en: {
    values: { ...prefixed('document', documents.en), ...prefixed('permitType', permitTypes.en) },
    texts: {
      ...prefixed('checklist', documents.en),
      ...prefixed('next', NEXT_STEPS.en),
      'checklist.title': 'Required documents',
      'checklist.intro': 'The file is complete when every document below is attached (choose the document on each attachment).',
      'checklist.done': 'attached',
      'checklist.missing': 'missing',
      'checklist.none': 'The documents each permit type requires:',
      'problem.CHECKLIST_INCOMPLETE': 'The file is incomplete: every required document must be attached before it is marked complete.',
    },
  },
};

/** The permit type's checklist with a tick for each document attached (from v2 on: v1 had none). */
export function checklistView({ ctx, workflow, version, data }: FormSectionInput): SafeHtml {
  if (version < 2) return html``;
  const items = checklistOf(data);
  const say = (key: string) => ctx.text(workflow, key);
  return html`<section class="checklist" aria-labelledby="h-checklist"><h2 id="h-checklist">${say('checklist.title')}</h2>
${items.length === 0 ? html`<p>${say('checklist.none')}</p>
${Object.entries(CHECKLIST).map(([type, ids]) => html`<h3>${ctx.value(workflow, 'permitType', type)}</h3><ul>${ids.map((id) => html`<li>${say(`checklist.${id}`)}</li>`)}</ul>`)}` : html`<p class="hint">${say('checklist.intro')}</p>
<ul class="ticks">${items.map((i) => html`<li class="${i.done ? 'done' : 'missing'}" data-checklist="${i.id}"><span aria-hidden="true">${i.done ? '✓' : '○'}</span> ${say(`checklist.${i.id}`)} <small>(${say(i.done ? 'checklist.done' : 'checklist.missing')})</small></li>`)}</ul>`}
</section>`;
}

export const checklistFormSection = checklistView;
