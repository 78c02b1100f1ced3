import { complaintData, complaintDemo } from '../../workflows/complaint/demo';
import type { TestApp } from './app';

export { complaintData };

/** The complaint package's demo desk and liaisons (seeded with every package's demo people). */
export const COMPLAINT_USERS = complaintDemo.users!;

/** Files a complaint at the desk; returns its id. */
export async function fileComplaint(app: TestApp, data: Record<string, unknown>): Promise<string> {
  return (await fileComplaintWithReceipt(app, data)).id;
}

/** Files a complaint at the desk; returns its id and the reporter's tracking number and PIN (shown once). */
export async function fileComplaintWithReceipt(app: TestApp, data: Record<string, unknown>): Promise<{ id: string; registrationNumber: string; pin: string }> {
  const res = await app.call('pengaduan.setda', 'POST', '/api/v1/instances', { workflow: 'complaint', data });
  if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${res.text}`);
  return { id: res.body.id, registrationNumber: res.body.receipt.registrationNumber, pin: res.body.receipt.pin };
}

/** The reporter's own act (provide_info, confirm, raise_objection): by tracking number and PIN, no account. */
export async function reporterFires(app: TestApp, filed: { registrationNumber: string; pin: string }, type: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await app.call(undefined, 'POST', '/api/v1/public/tracking/events', { registrationNumber: filed.registrationNumber, pin: filed.pin, type, ...extra });
  if (res.status !== 200) throw new Error(`reporter ${type}: ${res.status} ${res.text}`);
}
