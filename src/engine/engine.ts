import crypto from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import { DEFAULT_TIMEZONE, systemClock, workflowTime, type WorkflowTime } from '../clock';
import type { ValidateFunction } from 'ajv';
import type { Kysely, Transaction } from 'kysely';
import { initialTransition, transition, type StateValue } from 'xstate';
import type { Database, InstanceRow } from '../db/types';
import type { ActingFor, Actor } from '../auth/roles';
import { hasRole, PUBLIC_ACTOR } from '../auth/roles';
import { canRead, citizenDecision, decideEvent, delegatedGrant } from '../auth/permissions';
import { ESCALATED_SQL } from '../auth/access';
import { appendHistory, InstanceMoved, readChainHead, type ChainHead, type InstanceRead } from './history';
import { deadlinesMove, trackDeadlines, type SlaSettings } from './deadlines';
import { localDay } from '../sla/calendar';
import { payloadDigest } from '../audit/hash';
import { sqlstateOf, SQLSTATE } from '../db/sqlstate';
import {
  commentRequired, forbidden, GrmsError, invalidData, notFound, transitionNotAllowed, versionConflict, type FieldProblem,
} from '../errors';
import { orgFieldsOf, stepKey, type DataProblem, type NormalizedData, type Step, type WorkflowDefinition } from './definition';
import type { WorkflowRegistry } from './registry';
import type { WorkflowPackage } from './package';
import type { RuleInput } from './package';
import { issueTracking } from '../tracking/register';
import { withoutIdentity } from './confidential';
import { changedGroupYear, groupYear } from './years';

/** Work done in the transaction of a citizen's event, after it applied. */
export type AfterFire = (trx: Transaction<Database>, view: InstanceView) => Promise<void>;
/** Runs inside the creating transaction, with what the create answer shows once. */
export type AfterCreate = (trx: Transaction<Database>, row: InstanceRow, receipt: Record<string, unknown>) => Promise<void>;
import { invalidTextProblems, schemaProblems } from './validate';
import { commentProblems } from './comment-rules';
import { refuseUnprintable } from '../documents/printable';
import { DEFAULT_COMMENT_LIMITS, type CommentLimits } from './comment-limits';
import { storeResponse, type IdempotencyScope } from './idempotency';
import { definitionOf, loadInstance, toView, type AccessRow, type InstanceView } from './view';
import { escalate, SYSTEM_ACTOR, type DueTimer, type TimerFirer } from '../sla/scheduler';
import { stillDue, systemActor, timerComment, timerStatesOf, timerStepOf, type TimerDecision } from './timers';
import { recordSubmission } from './submissions';

/** A signed document rendered for a transition before its transaction, stored inside it. */
export interface PreparedDocument {
  sha256: string;
  store(trx: Transaction<Database>, seq: number): Promise<void>;
  /** The transition did not commit: record the document number as void. */
  discard(reason: string): Promise<void>;
}

export interface DocumentRequest {
  def: WorkflowDefinition;
  /** The workflow's package: the document prints its labels. */
  pkg: WorkflowPackage | undefined;
  step: Step;
  event: { type: string; comment: string | null };
  row: InstanceRow;
  nextState: string;
  actor: Actor;
  role: string;
  /** Whom the actor acts for, when the role is held by delegation (Plt/Plh). */
  actingFor?: ActingFor;
}

export interface DocumentProducer {
  prepare(request: DocumentRequest): Promise<PreparedDocument>;
}

/** Idempotency: the scope, and how to turn the committed instance into the stored response. */
export interface IdempotentRequest extends IdempotencyScope {
  respond(view: InstanceView): { status: number; body: unknown; headers: Record<string, string> };
}

export class IdempotencyRace extends Error {
  readonly code = 'IDEMPOTENCY_RACE';
}

export interface EngineDeps {
  db: Kysely<Database>;
  registry: WorkflowRegistry;
  documents?: DocumentProducer;
  /** SLA deadlines and the workflow clock: time zone, configured overrides, clock (defaults: DEFAULT_TIMEZONE, the system clock). */
  sla?: SlaSettings;
  /** Comment rate and attachment quota (defaults: DEFAULT_COMMENT_LIMITS). */
  comments?: CommentLimits;
}

const MAX_ATTEMPTS = 5;

export interface EventInput {
  type: string;
  comment?: string | null;
  data?: unknown;
}

/**
 * Loads an instance, computes its next state with xstate's pure `transition`, and stores the new
 * snapshot, the audit row and the document in one short transaction.
 */
export class Engine {
  constructor(private readonly deps: EngineDeps) {}

  private get slaSettings(): SlaSettings {
    return this.deps.sla ?? { timeZone: DEFAULT_TIMEZONE };
  }

  /** The workflow clock and the deployment's zone: every "now" of a workflow comes from here. */
  get time(): WorkflowTime {
    return workflowTime(this.slaSettings.timeZone, this.slaSettings.clock ?? systemClock);
  }

  get registry(): WorkflowRegistry {
    return this.deps.registry;
  }

  get commentLimits(): CommentLimits {
    return this.deps.comments ?? DEFAULT_COMMENT_LIMITS;
  }

  /** Creates an instance of the newest version of `workflow`, owned by the creator's OPD. */
  async create(actor: Actor, workflow: string, data: unknown, idem?: IdempotentRequest): Promise<InstanceView> {
    const def = this.deps.registry.latest(workflow);
    if (!def) throw invalidData(`Unknown workflow "${workflow}"`, [{ path: '/workflow', message: 'is not a registered workflow' }]);
    const org = creatorOrg(actor, def);
    if (!org) throw forbidden(`Only ${def.creatorRoles.join(', ')} may create a ${def.name}`);
    return this.createIn(actor, def, org, data, idem);
  }

  /**
   * Creates an instance for someone without an account (a package's `publicIntake`), as the public
   * pseudo-actor, owned by the org the package names (`settings` are the deployment's, which it may
   * read); an anonymous submission loses its identity before anything is stored. `afterCreate` runs
   * inside the creating transaction with the receipt (tracking number and PIN).
   */
  async createPublic(workflow: string, data: unknown, settings: Readonly<Record<string, unknown>>, afterCreate?: AfterCreate): Promise<InstanceView> {
    const def = this.deps.registry.latest(workflow);
    const intake = this.deps.registry.package(workflow)?.publicIntake;
    if (!def || !intake) throw notFound(`No workflow "${workflow}" takes public submissions`);
    const org = typeof intake.org === 'function' ? intake.org(settings) : intake.org;
    return this.createIn(PUBLIC_ACTOR, def, org, withoutIdentity(data, intake.anonymous), undefined, afterCreate);
  }

  private async createIn(
    actor: Actor, def: WorkflowDefinition, org: string, data: unknown, idem?: IdempotentRequest,
    afterCreate?: AfterCreate,
  ): Promise<InstanceView> {
    const normalized = normalizeData(def, data, '/data');
    await this.checkOrgRefs(def, normalized.data);
    const [snapshot] = initialTransition(def.machine, { data: normalized.data });
    const persisted = def.machine.getPersistedSnapshot(snapshot);
    const id = crypto.randomUUID();
    let receipt: Record<string, unknown> | undefined;
    const view = await this.withIdempotency(idem, async (trx) => {
      const { after: row } = await appendHistory(trx, {
        kind: 'create',
        values: {
          id, workflow: def.name, workflow_version: def.version, state: stateName(snapshot.value),
          snapshot: JSON.stringify(persisted), data: JSON.stringify(normalized.data), org_id: org,
          title: normalized.title, fiscal_year: normalized.fiscalYear, total: normalized.total,
          year_group: groupYear(this.deps.registry.package(def.name)?.years, normalized.fiscalYear, { instant: this.time.clock(), timeZone: this.time.timeZone }),
          participants: [actor.username], created_by: actor.username,
        },
        entry: { event: 'create', actor: actor.username, actorRole: def.creatorRoles.find((r) => hasRole(actor, r, org)) ?? null, payloadDigest: payloadDigest(normalized.data) },
      });
      await trackDeadlines(trx, def, this.slaSettings, { instanceId: id, from: null, to: row.state, data: row.data });
      if (def.onCreate) receipt = await def.onCreate(trx, { row, actor, at: { instant: this.time.clock(), timeZone: this.time.timeZone } });
      // A workflow citizens file in gives every instance a tracking number and PIN, whoever filed it.
      const intake = this.deps.registry.package(def.name)?.publicIntake;
      if (intake) receipt = { ...receipt, ...(await issueTracking(trx, row, (seq) => intake.trackingNumber(seq, { instant: this.time.clock(), timeZone: this.time.timeZone }))) };
      if (afterCreate) await afterCreate(trx, row, receipt ?? {});
      return toView(row, def, actor);
    });
    // Shown once: not part of the view an Idempotency-Key stores (a replay has no receipt).
    return receipt && Object.keys(receipt).length > 0 ? { ...view, receipt } : view;
  }

  /** Reads an instance the actor may read; 404 otherwise (also for instances that exist). */
  async get(actor: Actor, id: string): Promise<{ row: InstanceRow; def: WorkflowDefinition; view: InstanceView }> {
    const row = await loadInstance(this.deps.db, id);
    if (!row) throw notFound(`No instance ${id}`);
    const def = definitionOf(this.deps.registry, row);
    if (!canRead(actor, def, row)) throw notFound(`No instance ${id}`);
    return { row, def, view: toView(row, def, actor) };
  }

  /** Fires one event. `ifMatch` makes it conditional on the instance's version. */
  fire(actor: Actor, id: string, input: EventInput, ifMatch?: number, idem?: IdempotentRequest): Promise<InstanceView> {
    return this.fireAs(actor, id, input, ifMatch, idem, false);
  }

  /**
   * Fires a 'tracking-pin' step as the public pseudo-actor, for a caller who has proven the
   * instance's tracking number and PIN (src/tracking/lookup.ts): every other check, the history
   * row and the document are the same as for any transition. `afterFire` runs in the same
   * transaction (the console's public form records itself there, so a form sent again fires nothing).
   */
  fireAsCitizen(id: string, input: EventInput, afterFire?: AfterFire): Promise<InstanceView> {
    return this.fireAs(PUBLIC_ACTOR, id, input, undefined, undefined, true, afterFire);
  }

  private async fireAs(
    actor: Actor, id: string, input: EventInput, ifMatch: number | undefined, idem: IdempotentRequest | undefined, citizen: boolean, afterFire?: AfterFire,
  ): Promise<InstanceView> {
    // First the transition is written from the instance as read, conditionally on its version and
    // chain head; when either moved, or the step has a rule to check under the instance's lock, the
    // lock is taken and the locked row decides, as it always did.
    let underLock = false;
    for (let attempt = 1; ; attempt++) {
      const { row, head, def } = await this.readForEvent(actor, id, citizen);
      const plan = await this.plan(actor, def, row, input, ifMatch, true, citizen ? 'citizen' : undefined);
      const { step, role, normalized } = plan;
      // The document shows the instance as the transition leaves it (a fee assessed, a number stamped).
      const shown = normalized ? { ...row, data: normalized.data, title: normalized.title, fiscal_year: normalized.fiscalYear, total: normalized.total } : row;
      const document =
        step.document && this.deps.documents
          ? await this.deps.documents.prepare({ def, pkg: this.deps.registry.package(row.workflow), step, event: { type: input.type, comment: plan.comment }, row: shown, nextState: plan.nextState, actor, role, actingFor: plan.actingFor })
          : undefined;
      // Under the instance's lock: decide again on the locked row if its version moved.
      const writeUnderLock = () => this.withIdempotency(idem, async (trx) => {
        const locked = await trx.selectFrom('workflow_instances').selectAll().select(ESCALATED_SQL.as('escalated')).where('id', '=', row.id).forUpdate().executeTakeFirst();
        if (!locked) throw notFound(`No instance ${id}`);
        let current = plan;
        let base: InstanceRow = row;
        if (locked.version !== row.version) {
          // A document was rendered (or a number stamped) from the old version: start again.
          // Otherwise decide again on the locked row, in its turn (the event applies to the
          // current version).
          if (document || step.stamp || ifMatch !== undefined) throw new InstanceMoved('version');
          if (!citizen && !canRead(actor, def, locked)) throw notFound(`No instance ${id}`);
          current = await this.plan(actor, def, locked, input, ifMatch, false, citizen ? 'citizen' : undefined);
          base = locked;
        }
        await this.runRule(current.step, { q: trx, locked: true, instance: base, actor, event: ruleEvent(current.step, input) });
        const view = await this.apply(trx, actor, def, { row: base, head: await readChainHead(trx, base.id) }, input, current, document);
        if (afterFire) await afterFire(trx, view);
        return view;
      });
      try {
        if (!underLock && !step.rule) {
          try {
            // Nothing else to write: the one statement commits on its own.
            if (!idem && !afterFire && !this.writesBesides(def, row, plan, document)) {
              return await this.apply(this.deps.db, actor, def, { row, head }, input, plan, undefined);
            }
            return await this.withIdempotency(idem, async (trx) => {
              const view = await this.apply(trx, actor, def, { row, head }, input, plan, document);
              if (afterFire) await afterFire(trx, view);
              return view;
            });
          } catch (err) {
            // Nothing was written: take the lock and go on as below (a comment moved only the
            // chain, so the decision and the document stand; a new version is decided again).
            if (!(err instanceof InstanceMoved)) throw err;
          }
        }
        return await writeUnderLock();
      } catch (err) {
        if (document) await document.discard(err instanceof InstanceMoved ? 'lost a race with another transition' : `transition failed: ${(err as Error).message}`);
        if (!(err instanceof InstanceMoved)) throw err;
        if (err.what === 'version' && ifMatch !== undefined) throw versionConflict('The instance changed while this event was being processed');
        if (attempt >= MAX_ATTEMPTS) throw versionConflict('The instance keeps changing; try again');
        underLock = true;
      }
    }
  }

  /** Whether applying `plan` writes more than the instance and its audit row (apply's other writes). */
  private writesBesides(def: WorkflowDefinition, row: InstanceRow, plan: Awaited<ReturnType<Engine['plan']>>, document: PreparedDocument | undefined): boolean {
    return document !== undefined || plan.step.submits === true || deadlinesMove(def, this.slaSettings, row.state, plan.nextState);
  }

  /** The instance an event is fired at, with its chain head, read together; 404 as for get(). */
  private async readForEvent(actor: Actor, id: string, citizen: boolean): Promise<{ row: AccessRow; head: ChainHead | null; def: WorkflowDefinition }> {
    const read = await loadInstance(this.deps.db, id, true);
    if (!read) throw notFound(`No instance ${id}`);
    const { chain_head: head, ...row } = read;
    const def = definitionOf(this.deps.registry, row);
    // A citizen proved the tracking number and PIN: no reading rights to check.
    if (!citizen && !canRead(actor, def, row)) throw notFound(`No instance ${id}`);
    return { row, head: head ?? null, def };
  }

  /**
   * Every check of an event, in the order the API reports refusals (403, 412, 409, 422, rules),
   * and the next snapshot computed by xstate's pure transition. Writes nothing.
   */
  private async plan(actor: Actor, def: WorkflowDefinition, row: InstanceRow, input: EventInput, ifMatch: number | undefined, precheck: boolean, system?: TimerDecision | 'citizen') {
    // A timer's step is decided by its SLA (src/engine/timers.ts), a citizen's by the step's scope
    // (the caller proved the tracking number and PIN), neither by the actor's roles.
    const decision = system === 'citizen' ? citizenDecision(def, row, input.type) : system ?? decideEvent(actor, def, row, input.type);
    if (decision.kind === 'forbidden') throw forbidden(decision.detail);
    if (decision.kind === 'segregation') {
      throw new GrmsError('SEGREGATION_OF_DUTIES', 403, 'segregation-of-duties', 'Segregation of duties', decision.detail);
    }
    if (ifMatch !== undefined && ifMatch !== row.version) throw versionConflict(`The instance is at version ${row.version}, not ${ifMatch}`);
    if (decision.kind === 'no-transition') throw transitionNotAllowed(decision.detail);
    const { step, role } = decision;
    const comment = validateEventInput(step, input);
    let normalized = step.replacesData ? normalizeData(def, input.data, '/data') : step.payload ? mergePayload(def, step, row, input.data) : undefined;
    if (step.replacesData && normalized && precheck) await this.checkOrgRefs(def, normalized.data);
    if (step.effect) {
      const at = this.time.clock();
      const payload = step.payload ? (input.data as Record<string, unknown>) : undefined;
      const today = localDay(at, this.slaSettings.timeZone);
      normalized = normalizeResult(def.normalize(step.effect({ data: normalized?.data ?? row.data, payload, at, today, role: decision.role, actor: actor.username })), '/data');
    }
    const event = { type: input.type, actor: actor.username, comment: comment ?? undefined, data: normalized?.data };
    const current = def.machine.resolveState(row.snapshot as never);
    if (!current.can(event)) throw transitionNotAllowed(`"${input.type}" is not possible on this ${def.name} now`);
    // Checked before any document number is taken; checked again under lock in the transaction
    // (inside it, only there: PGlite's one connection is held by that transaction).
    if (precheck) await this.runRule(step, { q: this.deps.db, locked: false, instance: row, actor, event: ruleEvent(step, input) });
    if (step.stamp) {
      // The one write of planning, after every check: a value from a sequence is never reused.
      if (!precheck) throw new InstanceMoved('version');
      const base = normalized ?? { data: row.data, title: row.title, fiscalYear: row.fiscal_year, total: row.total };
      normalized = { ...base, data: { ...base.data, [step.stamp.field]: await step.stamp.take(this.deps.db, row, { instant: this.time.clock(), timeZone: this.time.timeZone }) } };
      event.data = normalized.data;
    }
    const [next] = transition(def.machine, current, event);
    return { step, role, comment, normalized, next, nextState: stateName(next.value), actingFor: system ? undefined : delegatedGrant(actor, step, row, role)?.actingFor };
  }

  /** The step's rule, from its workflow's package (the registry refused unknown names at start). */
  private async runRule(step: Step, input: RuleInput): Promise<void> {
    if (!step.rule) return;
    const rule = this.deps.registry.package(input.instance.workflow)?.rules?.[step.rule];
    if (!rule) throw new Error(`rule ${step.rule} of ${input.instance.workflow} is not registered`);
    await rule(input);
  }

  /** Every data property a 'data-org' step reads must name an existing org (422 otherwise). */
  private async checkOrgRefs(def: WorkflowDefinition, data: Record<string, unknown>): Promise<void> {
    const fields = orgFieldsOf(def).filter((f) => typeof data[f] === 'string');
    if (fields.length === 0) return;
    const ids = fields.map((f) => data[f] as string);
    const found = new Set((await this.deps.db.selectFrom('orgs').select('id').where('id', 'in', ids).execute()).map((o) => o.id));
    const problems = fields.filter((f) => !found.has(data[f] as string)).map((f) => ({ path: `/data/${f}`, message: 'is not a known OPD' }));
    if (problems.length) throw invalidData('The data names an unknown OPD', problems);
  }

  /** Writes one planned transition: the instance, its audit row and its document. */
  private async apply(
    q: Kysely<Database>,
    actor: Actor,
    def: WorkflowDefinition,
    read: InstanceRead,
    input: EventInput,
    plan: Awaited<ReturnType<Engine['plan']>>,
    document: PreparedDocument | undefined,
  ): Promise<InstanceView> {
    const row = read.row;
    const { normalized, nextState, role, comment } = plan;
    // The hand that fires it: the actor and, under a delegation, whom they act for (duty checks compare hands).
    const hand = plan.actingFor ? [actor.username, plan.actingFor.username] : [actor.username];
    const { seq, after: updated } = await appendHistory(q, {
      kind: 'transition',
      instanceId: row.id,
      update: (locked) => ({
        state: nextState,
        snapshot: JSON.stringify(def.machine.getPersistedSnapshot(plan.next)),
        ...(normalized && {
          data: JSON.stringify(normalized.data), title: normalized.title, fiscal_year: normalized.fiscalYear, total: normalized.total,
          year_group: changedGroupYear(this.deps.registry.package(def.name)?.years, normalized.fiscalYear, locked.year_group),
        }),
        submitters: plan.step.submits ? addAll(locked.submitters, hand) : locked.submitters,
        step_hands: addAll(locked.step_hands, hand.map((u) => stepKey(locked.state, input.type, u))),
        participants: addOnce(locked.participants, actor.username),
      }),
      entry: {
        event: input.type, actor: actor.username, actorRole: role, comment, payloadDigest: normalized ? payloadDigest(normalized.data) : null,
        extra: { document_sha256: document?.sha256 ?? null, acting_for: plan.actingFor?.username ?? null },
      },
    }, read);
    // Outside a transaction (the caller's one statement) nothing else is written: see writesBesides.
    if (q.isTransaction) {
      const trx = q as Transaction<Database>;
      await trackDeadlines(trx, def, this.slaSettings, { instanceId: row.id, from: row.state, to: nextState, data: updated.data });
      // What was submitted is kept, so reviewers see what changed since the previous submission.
      if (plan.step.submits) await recordSubmission(trx, row.id, seq, updated.data);
      if (document) await document.store(trx, seq);
    } else if (this.writesBesides(def, row, plan, document)) {
      throw new Error('a transition that writes more than the instance and its audit row is written in a transaction');
    }
    return toView(updated, def, actor);
  }

  /** Fires due timer deadlines' events as the system (the SLA scheduler's TimerFirer). */
  get timers(): TimerFirer {
    return {
      timerStates: () => timerStatesOf(this.deps.registry, this.slaSettings),
      fire: (due, now) => this.fireTimer(due, now),
    };
  }

  /**
   * One timer: the transition the engine makes for a user (validated, effect, audited by the one
   * history writer, version, deadlines), fired by the system actor, in a transaction that takes
   * the instance only if no one holds it and only while it is still in the state with the deadline
   * due. A machine or workflow rule that refuses the event now gets the deadline escalated instead.
   */
  private async fireTimer(due: DueTimer, now: Date): Promise<'fired' | 'escalated' | 'skipped'> {
    const row = await loadInstance(this.deps.db, due.instanceId);
    if (!row || row.state !== due.state) return 'skipped';
    const def = definitionOf(this.deps.registry, row);
    const timer = timerStepOf(def, this.slaSettings, row.state);
    if (!timer) return 'skipped';
    const actor = systemActor(row.org_id);
    const input: EventInput = { type: timer.event, comment: timerComment(due) };
    let plan: Awaited<ReturnType<Engine['plan']>> | undefined;
    try {
      plan = await this.plan(actor, def, row, input, undefined, true, { kind: 'allowed', step: timer.step, role: SYSTEM_ACTOR });
    } catch (err) {
      // Refused by the machine or a rule of the workflow: a person must act, so it escalates.
      if (!(err instanceof GrmsError)) throw err;
    }
    // A timer step carries no document (checkSlaFacts): the system actor has no signing identity.
    return this.deps.db.transaction().execute(async (trx) => {
      const locked = await stillDue(trx, due, now);
      if (!locked || locked.version !== row.version) return 'skipped';
      if (!plan) {
        await escalate(trx, { instance_id: locked.id, kind: 'state', state: due.state, working_days: due.workingDays, due_at: due.dueAt }, now);
        return 'escalated';
      }
      await this.runRule(plan.step, { q: trx, locked: true, instance: locked, actor, event: ruleEvent(plan.step, input) });
      await this.apply(trx, actor, def, { row: locked, head: await readChainHead(trx, locked.id) }, input, plan, undefined);
      // A timer that leaves the instance in its state keeps the deadline, now spent.
      await trx.updateTable('deadlines').set({ escalated_at: now }).where('instance_id', '=', locked.id).where('kind', '=', 'state').where('state', '=', due.state).execute();
      return 'fired';
    });
  }

  private async withIdempotency(idem: IdempotentRequest | undefined, work: (trx: Transaction<Database>) => Promise<InstanceView>) {
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const view = await work(trx);
        if (idem) await storeResponse(trx, idem, idem.respond(view));
        return view;
      });
    } catch (err) {
      if (idem && sqlstateOf(err) === SQLSTATE.uniqueViolation && /idempotency_keys/.test(String((err as Error).message) + String((err as { constraint?: string }).constraint))) {
        throw new IdempotencyRace('another request with this Idempotency-Key committed first', { cause: err });
      }
      throw err;
    }
  }
}

/** A nested state's name is its path ("payment.spp"), so steps and SLAs can name it. */
function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0]!;
  return child === undefined ? key : `${key}.${stateName(child)}`;
}

function normalizeResult(result: NormalizedData | { problems: DataProblem[] }, base: string): NormalizedData {
  if (!('problems' in result)) return result;
  throw invalidData('The data is inconsistent', result.problems.map((p) => ({ path: `${base}${p.path}`, message: p.message })));
}

function addOnce(list: string[], item: string): string[] {
  return list.includes(item) ? list : [...list, item];
}

function addAll(list: string[], items: string[]): string[] {
  return items.reduce(addOnce, list);
}

function creatorOrg(actor: Actor, def: WorkflowDefinition): string | undefined {
  const grants = actor.roles.filter((g) => def.creatorRoles.includes(g.role as never));
  return (grants.find((g) => g.org === actor.org) ?? grants[0])?.org;
}

/** Validates and normalises instance data; throws 422 with every problem found. */
function normalizeData(def: WorkflowDefinition, input: unknown, base: string): NormalizedData {
  const data = def.prepare ? def.prepare(input) : input;
  const textProblems = invalidTextProblems(data, base);
  if (textProblems.length) throw invalidData('The data contains invalid text', textProblems);
  refuseUnprintable(data, base);
  if (data === undefined) throw invalidData('data is required', [{ path: base, message: 'is required' }]);
  const problems = schemaProblems(def, data, base);
  if (problems.length) throw invalidData(`The data does not match the ${def.name} v${def.version} schema`, problems);
  const result = def.normalize(data as Record<string, unknown>);
  if ('problems' in result) {
    throw invalidData('The data is inconsistent', result.problems.map((p) => ({ path: `${base}${p.path}`, message: p.message })));
  }
  return result;
}

/** Checks the comment and data shape of an event; returns the comment (null when absent). */
function validateEventInput(step: Step, input: EventInput): string | null {
  const problems: FieldProblem[] = commentProblems(input.comment, '/comment', false);
  if (!step.replacesData && !step.payload && input.data !== undefined) problems.push({ path: '/data', message: `"${input.type}" takes no data` });
  if (problems.length) throw invalidData('The event is invalid', problems);
  refuseUnprintable(input.comment, '/comment');
  const comment = typeof input.comment === 'string' && input.comment.trim() !== '' ? input.comment : null;
  if (step.requiresComment && comment === null) throw commentRequired(input.type);
  return comment;
}

// Step payload schemas, compiled on first use (src/engine/validate.ts compiles the data schemas).
const payloadAjv = new Ajv2020({ allErrors: true, strict: true });
const payloadValidators = new WeakMap<object, ValidateFunction>();

/** Validates an event's payload against the step's schema and merges it into the instance data. */
/** What a rule sees of the event: its type and, for a step with a payload, the payload (validated by then). */
function ruleEvent(step: Step, input: EventInput): RuleInput['event'] {
  return step.payload ? { type: input.type, payload: input.data as Record<string, unknown> } : { type: input.type };
}

function mergePayload(def: WorkflowDefinition, step: Step, row: InstanceRow, payload: unknown): NormalizedData {
  const spec = step.payload!;
  const problems = invalidTextProblems(payload, '/data');
  if (payload === undefined) problems.push({ path: '/data', message: 'is required' });
  if (problems.length) throw invalidData('The event data is invalid', problems);
  refuseUnprintable(payload, '/data');
  let validate = payloadValidators.get(spec.schema);
  if (!validate) payloadValidators.set(spec.schema, (validate = payloadAjv.compile(spec.schema)));
  if (!validate(payload)) {
    throw invalidData('The event data is invalid', (validate.errors ?? []).map((e) => {
      const key = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty
        : e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      return { path: `/data${e.instancePath}${key === undefined ? '' : `/${key}`}`, message: e.message ?? e.keyword };
    }));
  }
  const result = def.normalize(spec.merge(row.data, payload as Record<string, unknown>));
  if ('problems' in result) throw invalidData('The data is inconsistent', result.problems.map((p) => ({ path: `/data${p.path}`, message: p.message })));
  return result;
}
