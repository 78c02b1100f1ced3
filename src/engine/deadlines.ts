import { systemClock } from '../clock';
import type { Transaction } from 'kysely';
import type { Database } from '../db/types';
import type { WorkflowDefinition } from './definition';
import { enterState, leaveState, type SlaSpec } from '../sla/deadlines';
import { loadHolidays } from '../sla/holidays';

/** How the engine keeps SLA deadlines: the deployment's time zone, configured overrides, a clock. */
export interface SlaSettings {
  timeZone: string;
  /** Working days per state by workflow name, overriding the definition's (budget review steps). */
  overrides?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The workflow clock: injected in tests; the system clock otherwise. */
  clock?: () => Date;
}

export function slaFor(def: WorkflowDefinition, settings: SlaSettings): SlaSpec | undefined {
  const override = settings.overrides?.[def.name];
  if (!def.sla && !override) return undefined;
  const states = { ...(def.sla?.states ?? {}) };
  // An override sets the days only: a timer keeps the event it fires.
  for (const [state, days] of Object.entries(override ?? {})) {
    const own = states[state];
    states[state] = typeof own === 'object' ? { ...own, days } : days;
  }
  return { states, ...(def.sla?.overall && { overall: def.sla.overall }) };
}

/** Whether a move from state `from` to `to` changes the instance's deadlines (trackDeadlines writes). */
export function deadlinesMove(def: WorkflowDefinition, settings: SlaSettings, from: string | null, to: string): boolean {
  return slaFor(def, settings) !== undefined && from !== to;
}

/**
 * Moves an instance's deadlines with its state, inside the transition's transaction: the state
 * left loses its deadline, the state entered gets one, and the whole-workflow clock runs or pauses.
 */
export async function trackDeadlines(
  trx: Transaction<Database>,
  def: WorkflowDefinition,
  settings: SlaSettings,
  e: { instanceId: string; from: string | null; to: string; data?: unknown },
): Promise<void> {
  const sla = slaFor(def, settings);
  if (!sla || !deadlinesMove(def, settings, e.from, e.to)) return;
  if (e.from !== null) await leaveState(trx, { instanceId: e.instanceId, state: e.from });
  await enterState(trx, {
    instanceId: e.instanceId, workflow: def.name, state: e.to, sla, at: (settings.clock ?? systemClock)(), data: e.data,
    holidays: await loadHolidays(trx), timeZone: settings.timeZone,
  });
}
