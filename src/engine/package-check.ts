/**
 * Checks one loaded workflow package before a server runs it (`grms workflow check`, and `grms
 * serve` for every package of GRMS_WORKFLOW_PATH): schemas compile, machine and steps agree, every
 * state, event, field and role is labelled in both console languages, roles are declared, version
 * numbers are unique and each version's fingerprint can be computed. Returns every problem found,
 * each naming what is wrong, rather than stopping at the first.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { CORE_ROLES } from '../auth/roles';
import { checkSeparations, type WorkflowDefinition } from './definition';
import { fingerprint } from './fingerprint';
import { checkSteps } from './steps';
import { checkSlaFacts } from './timers';
import type { LoadedPackage } from './package';

const LANGS = ['id', 'en'] as const;

/** Every problem of `pkg`, as lines an author can act on; empty when it is fine. */
export function packageProblems(pkg: LoadedPackage): string[] {
  const problems: string[] = [];
  const declared = new Set([...Object.keys(pkg.roles), ...Object.keys(CORE_ROLES)]);
  for (const [role, spec] of Object.entries(pkg.roles)) {
    for (const lang of LANGS) if (typeof spec?.label?.[lang] !== 'string' || spec.label[lang] === '') problems.push(`role ${role} has no ${lang} label`);
  }
  const numbers = new Set<number>();
  for (const { definition: def, source } of pkg.versions) {
    const at = `v${def.version}`;
    if (!Number.isInteger(def.version) || def.version < 1) problems.push(`${source}: version must be a whole number from 1`);
    if (numbers.has(def.version)) problems.push(`${at} is given twice`);
    numbers.add(def.version);
    if (def.name !== pkg.name) problems.push(`${at} is a version of ${def.name}, not of ${pkg.name}`);
    if (typeof def.normalize !== 'function') problems.push(`${at} has no normalize(data) function`);
    problems.push(...schemaProblems(def).map((p) => `${at}: ${p}`));
    const { states, transitions } = machineShape(def);
    if (states.length === 0) problems.push(`${at}: the machine has no states`);
    // Transitions without facts, facts without transitions (nested states inherit their parent's
    // events), roles per scope (a timer or a reporter's step names none): checkSteps below.
    for (const [state, events] of Object.entries(def.steps ?? {})) {
      for (const [event, step] of Object.entries(events)) {
        for (const role of step.roles ?? []) if (!declared.has(role)) problems.push(`${at}: step ${state}/${event} names role ${role}, which the package does not declare`);
      }
    }
    for (const role of def.creatorRoles ?? []) if (!declared.has(role)) problems.push(`${at}: creator role ${role} is not declared`);
    // The registry's own checks (step facts on the transitions, separations, SLA facts), as messages.
    for (const check of [() => checkSteps(def, declared), () => checkSeparations(def), () => checkSlaFacts(def)]) {
      try {
        check();
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    const fields = Object.keys((def.schema as { properties?: Record<string, unknown> }).properties ?? {});
    const events = [...new Set(transitions.map((t) => t.event))];
    for (const lang of LANGS) {
      const labels = pkg.labels[lang] ?? {};
      for (const s of states) if (!labels.states?.[s]) problems.push(`${at}: state ${s} has no ${lang} label (labels.${lang}.states)`);
      for (const e of events) if (!labels.events?.[e]) problems.push(`${at}: event ${e} has no ${lang} label (labels.${lang}.events)`);
      for (const f of fields) if (!labels.fields?.[f]) problems.push(`${at}: field ${f} has no ${lang} label (labels.${lang}.fields)`);
    }
    try {
      fingerprint(pkg, source);
    } catch (err) {
      problems.push(`${at}: no fingerprint: ${(err as Error).message}`);
    }
  }
  problems.push(...schemaFolderProblems(pkg.schemaDir));
  return [...new Set(problems)];
}

// With the engine's options (src/engine/validate.ts), so what passes here compiles there.
function newAjv() {
  return new Ajv2020({ allErrors: true, strict: true });
}

/** The data schema and every event payload schema compile (strict, as the engine compiles them). */
function schemaProblems(def: WorkflowDefinition): string[] {
  const out: string[] = [];
  const tryCompile = (what: string, schema: unknown) => {
    if (!schema || typeof schema !== 'object') return out.push(`${what} is missing`);
    try {
      newAjv().compile(schema as Record<string, unknown>);
    } catch (err) {
      out.push(`${what} does not compile: ${(err as Error).message}`);
    }
    return undefined;
  };
  tryCompile('the data schema', def.schema);
  for (const [state, events] of Object.entries(def.steps ?? {})) {
    for (const [event, step] of Object.entries(events)) if (step.payload) tryCompile(`the payload schema of ${state}/${event}`, step.payload.schema);
  }
  return out;
}

/** Every *.json of the schema folder is a JSON Schema that compiles. */
function schemaFolderProblems(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    try {
      newAjv().compile(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
    } catch (err) {
      out.push(`schemas/${name} does not compile: ${(err as Error).message}`);
    }
  }
  return out;
}

interface StateConfig {
  states?: Record<string, StateConfig>;
  on?: Record<string, unknown>;
}

/** State ids (nested ones as `parent.child`) and the `on` transitions of each, from the machine's config. */
export function machineShape(def: WorkflowDefinition): { states: string[]; transitions: Array<{ state: string; event: string }> } {
  const states: string[] = [];
  const transitions: Array<{ state: string; event: string }> = [];
  const walk = (config: StateConfig, prefix: string) => {
    for (const [name, child] of Object.entries(config.states ?? {})) {
      const id = prefix ? `${prefix}.${name}` : name;
      states.push(id);
      for (const event of Object.keys(child.on ?? {})) transitions.push({ state: id, event });
      walk(child, id);
    }
  };
  const config = (def.machine as unknown as { config?: StateConfig } | undefined)?.config;
  if (config) walk(config, '');
  return { states, transitions };
}
