import type { Actor } from '../auth/roles';
import { hasRole } from '../auth/roles';
import type { WorkflowRegistry } from '../engine/registry';
import type { MessageKey } from './i18n/id';

export interface NavEntry {
  href: string;
  label: MessageKey;
  /** Roles that see the entry (any one of them); absent: every signed-in user. */
  roles?: readonly string[];
  /** Seen by whoever may create an instance of some workflow (a creator role of its newest version). */
  creators?: boolean;
  /** Shown to visitors who are not signed in, too. */
  public?: boolean;
}

/**
 * The console's menu, in order. A page area adds its entry here with the roles that see it;
 * the page itself still checks roles (a hidden link is not a permission). Who creates what is the
 * workflows' to say, so "new" follows the loaded packages.
 */
export const NAV: readonly NavEntry[] = [
  { href: '/inbox', label: 'nav.inbox' },
  { href: '/list', label: 'nav.lists' },
  { href: '/new', label: 'nav.new', creators: true },
  { href: '/verify', label: 'nav.verify', public: true },
  { href: '/dashboard', label: 'nav.dashboard' },
  { href: '/audit', label: 'nav.audit', roles: ['auditor'] },
  { href: '/admin', label: 'nav.admin', roles: ['admin'] },
];

/** Roles that may create an instance of some workflow: those of each workflow's newest version. */
export function creatorRoles(registry: WorkflowRegistry): string[] {
  const names = new Set(registry.all().map((d) => d.name));
  return [...new Set([...names].flatMap((n) => registry.latest(n)?.creatorRoles ?? []))];
}

export function navFor(actor: Actor | undefined, registry: WorkflowRegistry): NavEntry[] {
  if (!actor) return NAV.filter((e) => e.public === true);
  const roles = (e: NavEntry) => (e.creators ? creatorRoles(registry) : e.roles);
  return NAV.filter((e) => {
    const needed = roles(e);
    return !needed || needed.some((r) => hasRole(actor, r));
  });
}
