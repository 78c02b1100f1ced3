import { eventLabels, roleLabels, stateLabels, workflowLabels } from '../web/i18n/labels';

/**
 * The words a document prints for a workflow's identifiers: officers read labels in Bahasa
 * Indonesia, not state, event, role or workflow ids. An id without a label is printed with its
 * underscores and dashes as spaces, as the console does.
 */
const label = (table: Readonly<Record<string, string>>, id: string): string => (Object.hasOwn(table, id) ? table[id]! : id.replace(/[_-]+/g, ' '));

export const stateWord = (id: string | null): string => (id === null ? '-' : label(stateLabels.id, id));
export const eventWord = (id: string): string => label(eventLabels.id, id);
export const roleWord = (id: string): string => label(roleLabels.id, id);
export const workflowWord = (id: string): string => label(workflowLabels.id, id);
