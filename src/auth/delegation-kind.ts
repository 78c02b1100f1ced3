import { sql } from 'kysely';

/** Plt: the position is vacant or its holder long absent; Plh: the holder briefly away (BKN SE 1/2021). */
export type DelegationKind = 'plt' | 'plh';
export const DELEGATION_KINDS: readonly DelegationKind[] = ['plt', 'plh'];

/** How a document prints the kind before the principal's position. */
export const kindPrefix = (kind: DelegationKind): string => (kind === 'plh' ? 'Plh.' : 'Plt.');

/**
 * The kind an audit row's delegated act was made under, for a query over `audit_events`; null when
 * the act was not delegated. History rows store only whom the actor acted for: adding the kind to
 * them would change what the audit chain hashes and exports, so it is read from the delegation
 * the actor held from that official for that role when acting (the latest made before the act);
 * 'plt' when none is found, which is what every delegated act printed before kinds existed.
 */
/**
 * The position the principal held for an audit row's delegated act: the one recorded with the
 * delegation the actor held (chosen as for the kind above, migration 0048); null when the act was
 * not delegated or no delegation records one (the caller then prints the principal's position today).
 */
export const principalPositionOfAuditRow = sql<string | null>`CASE WHEN audit_events.acting_for IS NULL THEN NULL ELSE
  (SELECT d.principal_position FROM delegations d
    WHERE d.delegator = audit_events.acting_for AND d.delegate = audit_events.actor AND d.role = audit_events.actor_role
    ORDER BY (d.created_at <= audit_events.created_at) DESC, d.created_at DESC LIMIT 1) END`;

export const actingKindOfAuditRow = sql<DelegationKind | null>`CASE WHEN audit_events.acting_for IS NULL THEN NULL ELSE coalesce(
  (SELECT d.kind FROM delegations d
    WHERE d.delegator = audit_events.acting_for AND d.delegate = audit_events.actor AND d.role = audit_events.actor_role
    ORDER BY (d.created_at <= audit_events.created_at) DESC, d.created_at DESC LIMIT 1), 'plt') END`;
