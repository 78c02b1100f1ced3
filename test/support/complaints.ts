import { mintToken } from '../../src/auth/tokens';
import { COMPLAINT_DEMO_USERS, complaintData } from '../../workflows/complaint/demo';
import type { TestApp } from './app';

export { complaintData };

/** Adds the complaint package's demo desk and liaisons to a test app (users, roles, API tokens). */
export async function addComplaintPeople(app: TestApp): Promise<void> {
  await app.db.kysely.insertInto('users').values(COMPLAINT_DEMO_USERS.map((u) => ({ username: u.username, full_name: u.fullName, position: u.position, nip: u.nip, org_id: u.org }))).execute();
  await app.db.kysely.insertInto('user_roles').values(COMPLAINT_DEMO_USERS.flatMap((u) => u.roles.map((role) => ({ username: u.username, role, org_id: u.org })))).execute();
  for (const u of COMPLAINT_DEMO_USERS) app.tokens[u.username] = await mintToken(app.db.kysely, u.username);
}

/** Files a complaint at the desk; returns its id. */
export async function fileComplaint(app: TestApp, data: Record<string, unknown>): Promise<string> {
  const res = await app.call('pengaduan.setda', 'POST', '/api/v1/instances', { workflow: 'complaint', data });
  if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${res.text}`);
  return res.body.id;
}
