import type { PackageDemo, SeedContext } from '../../src/engine/package';

/** The permit offices of the demo regency: DPMPTSP's front office, cashier and head, PUPR's technical team. */
export const permitDemo: PackageDemo = {
  users: [
    { username: 'fo.dpmptsp', fullName: 'Nur Aini, A.Md.', position: 'Petugas Loket', nip: '199001082015032001', org: 'dpmptsp', roles: ['frontdesk'] },
    { username: 'kasir.dpmptsp', fullName: 'Yusuf Hidayat, S.E.', position: 'Bendahara Penerimaan', nip: '198611302012121002', org: 'dpmptsp', roles: ['cashier'] },
    { username: 'kepala.dpmptsp', fullName: 'Dra. Siti Rahayu, M.Si.', position: 'Kepala DPMPTSP', nip: '197103211997032004', org: 'dpmptsp', roles: ['permit_head'] },
    { username: 'timteknis.pupr', fullName: 'Bayu Nugroho, S.T., M.T.', position: 'Ketua Tim Teknis Bangunan Gedung', nip: '198405192009011005', org: 'pupr', roles: ['technical_team'] },
  ],
};

/** A PBG (building approval) application reviewed by Dinas PUPR. */
export function pbgApplication(name: string, nik: string, overrides: Record<string, unknown> = {}) {
  return {
    permitType: 'PBG',
    applicant: { name, nik, address: 'Jl. Pandanaran No. 12, Kel. Mugassari, Kec. Semarang Selatan' },
    object: { location: 'Jl. Setiabudi No. 45, Kel. Srondol Wetan, Kec. Banyumanik', description: 'Rumah tinggal dua lantai', floorArea: 186.5 },
    technicalAgency: 'pupr',
    // Every document of the PBG checklist (./checklist.ts), so the front desk may mark it complete.
    attachments: [
      { document: 'identity', name: 'KTP pemohon.pdf', sha256: '5d41402abc4b2a76b9719d911017c592ae1f0c3b7a9d4e8f6b2c1a0d9e8f7a6b' },
      { document: 'land_title', name: 'Sertifikat tanah.pdf', sha256: '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0' },
      { document: 'architecture_drawing', name: 'Gambar arsitektur.pdf', sha256: 'a3f1c2d4e5b6978812ab34cd56ef7890a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      { document: 'structure_drawing', name: 'Gambar struktur.pdf', sha256: '9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b' },
    ],
    ...overrides,
  };
}

/** Permit applications at DPMPTSP in several states, one of them issued (with its SK Izin). */
export async function seedPermits({ engine, actor }: SeedContext): Promise<void> {
  const run = async (data: Record<string, unknown>, steps: Array<[string, string, Record<string, unknown>?]>) => {
    const created = await engine.create(await actor('fo.dpmptsp'), 'permit', data);
    for (const [who, type, extra] of steps) await engine.fire(await actor(who), created.id, { type, ...extra });
  };
  const complete: [string, string] = ['fo.dpmptsp', 'mark_complete'];
  const recommend: [string, string, Record<string, unknown>] = ['timteknis.pupr', 'recommend', { comment: 'Sesuai KRK dan hasil survei lapangan.' }];
  const fee: [string, string, Record<string, unknown>] = ['kadis.pupr', 'assess_fee', { data: { fee: 4_875_000 } }];
  const paid: [string, string, Record<string, unknown>] = ['kasir.dpmptsp', 'confirm_payment', { data: { paymentReference: 'BJTG-2026-0001842' } }];
  // Issued: the SK Izin with its permit number.
  await run(pbgApplication('Hadi Purnomo', '3374011203780004'), [complete, recommend, fee, paid, ['kepala.dpmptsp', 'sign']]);
  // Waiting for the applicant's payment.
  await run(pbgApplication('CV Sinar Abadi', '', { applicant: { name: 'CV Sinar Abadi', nib: '9120301234567', address: 'Jl. Majapahit No. 201, Semarang' } }), [complete, recommend, fee]);
  // With the technical team.
  await run(pbgApplication('Lestari Widodo', '3374064507850002'), [complete]);
  // Returned to the applicant, incomplete.
  await run(pbgApplication('Bambang Hartono', '3374021011690001'), [['fo.dpmptsp', 'mark_incomplete', { comment: 'Gambar struktur belum dilampirkan.' }]]);
  // Just registered.
  await run({ ...pbgApplication('PT Media Reklame Jaya', ''), permitType: 'REKLAME',
    applicant: { name: 'PT Media Reklame Jaya', nib: '8120001122334', address: 'Jl. Pemuda No. 88, Semarang' },
    object: { location: 'Simpang Lima, sisi utara', description: 'Papan reklame 4 x 8 m' },
    attachments: [{ document: 'identity', name: 'NIB PT Media Reklame Jaya.pdf', sha256: '3b5d5c3712955042212316173ccf37be800c8e0b2e1b7a9e5c4d3f2a1b0c9d8e' }] }, []);
  // Rejected after the site survey.
  await run(pbgApplication('Andi Saputra', '3374031505900003'), [complete, ['timteknis.pupr', 'reject', { comment: 'Lokasi berada di sempadan sungai.' }]]);
}
