import { demoLogoColumns } from './demo-logo';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { loadActor } from '../auth/tokens';
import { localYear } from '../sla/calendar';
import { DEFAULT_TIMEZONE, workflowTime, yearOf, type WorkflowTime } from '../clock';
import type { DemoUser } from '../engine/package';
import { defaultRegistry, type WorkflowRegistry } from '../engine/registry';

/** The demo regency's OPDs; users, reference data and instances come from the core and the workflow packages. */
export const DEMO_ORGS = [
  { id: 'dinkes', name: 'Dinas Kesehatan', code: '1.02.0.00.0.00.01.0000', unit_code: 'DINKES', address: 'Jalan Pandanaran No. 79, Semarang 50241', phone: '(024) 8415269', email: 'dinkes@semarangkota.go.id', website: 'dinkes.semarangkota.go.id' },
  { id: 'pupr', name: 'Dinas Pekerjaan Umum dan Penataan Ruang', code: '1.03.0.00.0.00.01.0000', unit_code: 'PUPR', address: 'Jalan Madukoro Blok AA-BB, Semarang 50144', phone: '(024) 7607512', email: 'dpu@semarangkota.go.id', website: 'dpu.semarangkota.go.id' },
  { id: 'bappeda', name: 'Badan Perencanaan Pembangunan Daerah', code: '5.01.0.00.0.00.01.0000', unit_code: 'BAPPEDA', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3513366', email: 'bappeda@semarangkota.go.id', website: 'bappeda.semarangkota.go.id' },
  { id: 'bpkad', name: 'Badan Pengelolaan Keuangan dan Aset Daerah', code: '5.02.0.00.0.00.01.0000', unit_code: 'BPKAD', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3541095', email: 'bpkad@semarangkota.go.id', website: 'bpkad.semarangkota.go.id' },
  { id: 'inspektorat', name: 'Inspektorat Daerah', code: '6.01.0.00.0.00.01.0000', unit_code: 'INSPEKTORAT', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3549446', email: 'inspektorat@semarangkota.go.id', website: 'inspektorat.semarangkota.go.id' },
  { id: 'dpmptsp', name: 'Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu', code: '2.18.0.00.0.00.01.0000', unit_code: 'DPMPTSP', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3549446', email: 'dpmptsp@semarangkota.go.id', website: 'dpmptsp.semarangkota.go.id' },
  // The regional secretariat: the Sekda chairs TAPD, and a Plt TAPD comes from here.
  { id: 'setda', name: 'Sekretariat Daerah', code: '4.01.0.00.0.00.01.0000', unit_code: 'SETDA', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3513366', email: 'setda@semarangkota.go.id', website: 'semarangkota.go.id' },
] as const;

/** The core's demo users; each workflow package brings the users of its roles (WorkflowPackage.demo). */
export const CORE_DEMO_USERS: readonly DemoUser[] = [
  { username: 'auditor.inspektorat', fullName: 'Teguh Santoso, S.H.', position: 'Auditor Ahli Madya', nip: '197812052005011006', org: 'inspektorat', roles: ['auditor'] },
  { username: 'admin', fullName: 'Administrator grms', position: 'Administrator Sistem', org: 'bappeda', roles: ['admin'] },
];

/** Every demo user: the packages' (in package order), then the core's. */
export function demoUsers(registry: WorkflowRegistry = defaultRegistry()): DemoUser[] {
  return [...registry.packages.flatMap((p) => p.demo?.users ?? []), ...CORE_DEMO_USERS];
}

export function demoUsernames(registry: WorkflowRegistry = defaultRegistry()): string[] {
  return demoUsers(registry).map((u) => u.username);
}

/** The fiscal year a date falls in (Indonesian fiscal years are calendar years, WIB). */
export function fiscalYearOf(date: Date, timeZone = DEFAULT_TIMEZONE): number {
  return localYear(date, timeZone);
}

export interface SeedResult {
  created: boolean;
}

/** Inserts the demo regency unless it is there already; instances go through the engine, each package seeding its own. */
export async function seedDemo(db: Kysely<Database>, engine: Engine): Promise<SeedResult> {
  const time = engine.time;
  if (!(await seedDemoPeople(db, time, engine.registry)).created) return { created: false };
  const actor = async (username: string) => {
    const found = await loadActor(db, username, time);
    if (!found) throw new Error(`demo user ${username} is missing`);
    return found;
  };
  for (const pkg of engine.registry.packages) await pkg.seed?.({ db, engine, actor });
  return { created: true };
}

/** OPDs, one user per role, and what each package writes beside them (e.g. ceilings for this fiscal year and the next). */
export async function seedDemoPeople(db: Kysely<Database>, time: WorkflowTime = workflowTime(), registry: WorkflowRegistry = defaultRegistry()): Promise<SeedResult> {
  // The first demo user stands for all: they are created in one transaction.
  const users = demoUsers(registry);
  const existing = await db.selectFrom('users').select('username').where('username', '=', users[0]!.username).executeTakeFirst();
  if (existing) return { created: false };
  const year = yearOf(time);
  await db.transaction().execute(async (trx) => {
    // Every demo office prints the demo government's logo in its letterhead.
    const logo = demoLogoColumns();
    await trx.insertInto('orgs').values(DEMO_ORGS.map((o) => ({ ...o, ...logo }))).onConflict((oc) => oc.column('id').doNothing()).execute();
    const orgs = registry.packages.flatMap((p) => p.demo?.orgs ?? []);
    if (orgs.length) await trx.insertInto('orgs').values(orgs.map(({ unitCode, ...o }) => ({ ...o, unit_code: unitCode ?? null }))).onConflict((oc) => oc.column('id').doNothing()).execute();
    await trx
      .insertInto('users')
      .values(users.map((u) => ({ username: u.username, full_name: u.fullName, position: u.position, nip: u.nip ?? null, org_id: u.org })))
      .execute();
    await trx.insertInto('user_roles').values(users.flatMap((u) => u.roles.map((role) => ({ username: u.username, role, org_id: u.org })))).execute();
    for (const pkg of registry.packages) await pkg.demo?.reference?.(trx, { year });
  });
  return { created: true };
}
