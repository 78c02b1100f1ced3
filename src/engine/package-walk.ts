/**
 * Walks every path of a package's newest version on a database (`grms workflow walk`, which a
 * scaffolded package's own test runs on an embedded one): from the initial state, every sequence
 * of transitions that uses no transition twice and ends in a state without transitions. One user
 * per declared role acts, each holding the role at one org; an instance is created with the
 * author's example data and each event is fired with a comment and its example payload. A path
 * that does not end where the machine says, or a transition no path reaches, is a problem.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { loadActor } from '../auth/tokens';
import type { Actor } from '../auth/roles';
import { workflowTime } from '../clock';
import { Engine } from './engine';
import { machineShape } from './package-check';
import type { LoadedPackage } from './package';
import { WorkflowRegistry } from './registry';

/** What the author gives the walk: valid data, and payloads by `state/event`. */
export interface WalkExamples {
  data: Record<string, unknown>;
  payloads?: Record<string, Record<string, unknown>>;
}

export interface WalkResult {
  paths: string[][];
  problems: string[];
}

const WALK_ORG = 'walk-opd';

/** Every path as a list of `state --event--> state` steps (transitions with their targets). */
export function walkPaths(pkg: LoadedPackage): Array<Array<{ state: string; event: string }>> {
  const def = [...pkg.versions].map((v) => v.definition).sort((a, b) => b.version - a.version)[0]!;
  const { transitions } = machineShape(def);
  const machine = def.machine as unknown as { config: { initial?: string } };
  const initial = machine.config.initial ?? '';
  const targetOf = (state: string, event: string) => targets(def.machine as never, state, event);
  const paths: Array<Array<{ state: string; event: string }>> = [];
  const go = (state: string, path: Array<{ state: string; event: string }>) => {
    const out = transitions.filter((t) => t.state === state && !path.some((p) => p.state === t.state && p.event === t.event));
    if (out.length === 0) {
      if (path.length > 0) paths.push(path);
      return;
    }
    for (const t of out) go(targetOf(t.state, t.event) ?? state, [...path, t]);
  };
  go(initial, []);
  return paths;
}

/** The state id an event leads to from `state` (the first candidate's target; itself when it has none). */
function targets(machine: { config: unknown }, state: string, event: string): string | undefined {
  let node = machine.config as { states?: Record<string, { on?: Record<string, unknown>; states?: unknown }> };
  for (const part of state.split('.')) node = node.states?.[part] as typeof node;
  const on = (node as { on?: Record<string, unknown> }).on?.[event];
  const first = (Array.isArray(on) ? on[0] : on) as string | { target?: string | string[] } | undefined;
  const target = typeof first === 'string' ? first : Array.isArray(first?.target) ? first?.target[0] : first?.target;
  if (!target) return state;
  return target.replace(/^\./, state.includes('.') ? `${state.slice(0, state.lastIndexOf('.'))}.` : '');
}

/** Walks every path on `db` (migrated, otherwise empty of this package's users) and reports. */
export async function walkPackage(db: Kysely<Database>, pkg: LoadedPackage, examples: WalkExamples): Promise<WalkResult> {
  const registry = new WorkflowRegistry([pkg]);
  const engine = new Engine({ db, registry });
  const def = registry.latest(pkg.name)!;
  await db.insertInto('orgs').values({ id: WALK_ORG, name: 'OPD of the walk' }).onConflict((oc) => oc.column('id').doNothing()).execute();
  const actors = new Map<string, Actor>();
  for (const role of Object.keys(pkg.roles)) {
    const username = `walk.${role}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    await db.insertInto('users').values({ username, full_name: `Walk ${role}`, position: role, org_id: WALK_ORG }).onConflict((oc) => oc.column('username').doNothing()).execute();
    await db.insertInto('user_roles').values({ username, role, org_id: WALK_ORG }).onConflict((oc) => oc.doNothing()).execute();
    actors.set(role, (await loadActor(db, username, workflowTime()))!);
  }
  const problems: string[] = [];
  const walked: string[][] = [];
  const creatorRole = def.creatorRoles.find((r) => actors.has(r));
  if (!creatorRole) return { paths: [], problems: [`no declared role may create a ${pkg.name} (creatorRoles: ${def.creatorRoles.join(', ')})`] };
  const creator = actors.get(creatorRole)!;
  for (const path of walkPaths(pkg)) {
    const name = path.map((t) => `${t.state} --${t.event}-->`).join(' ');
    try {
      const created = await engine.create(creator, pkg.name, examples.data);
      let view = created;
      for (const t of path) {
        const step = def.steps[t.state]![t.event]!;
        const actor = step.scope === 'submitter' ? creator : actors.get(step.roles.find((r) => actors.has(r)) ?? '');
        if (!actor) throw new Error(`no user holds a role of ${t.state}/${t.event} (${step.roles.join(', ')})`);
        const payload = examples.payloads?.[`${t.state}/${t.event}`] ?? (step.replacesData ? examples.data : undefined);
        view = await engine.fire(actor, created.id, { type: t.event, comment: `Walk: ${t.event}`, data: payload });
      }
      walked.push([...path.map((t) => `${t.state}/${t.event}`), view.state]);
    } catch (err) {
      problems.push(`path ${name} failed: ${(err as Error).message}`);
    }
  }
  const covered = new Set(walked.flatMap((p) => p.slice(0, -1)));
  for (const t of machineShape(def).transitions) {
    if (!covered.has(`${t.state}/${t.event}`) && !problems.some((p) => p.includes(`${t.state} --${t.event}-->`))) problems.push(`transition ${t.state} --${t.event}--> is on no path that completed`);
  }
  return { paths: walked, problems };
}
