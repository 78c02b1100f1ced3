import type { Actor } from '../auth/roles';
import { hasRole } from '../auth/roles';
import type { MessageKey } from './i18n/id';

export interface NavEntry {
  href: string;
  label: MessageKey;
  /** Roles that see the entry (any one of them); absent: every signed-in user. */
  roles?: readonly string[];
  /** Shown to visitors who are not signed in, too. */
  public?: boolean;
}

/**
 * The console's menu, in order. A page area adds its entry here with the roles that see it;
 * the page itself still checks roles (a hidden link is not a permission).
 */
export const NAV: readonly NavEntry[] = [
  { href: '/inbox', label: 'nav.inbox' },
  { href: '/list', label: 'nav.lists' },
  { href: '/new', label: 'nav.new', roles: ['planner', 'frontdesk', 'ppk'] },
  { href: '/verify', label: 'nav.verify', public: true },
  { href: '/dashboard', label: 'nav.dashboard' },
  { href: '/audit', label: 'nav.audit', roles: ['auditor'] },
  { href: '/admin', label: 'nav.admin', roles: ['admin'] },
];

export function navFor(actor: Actor | undefined): NavEntry[] {
  return NAV.filter((e) => (actor ? !e.roles || e.roles.some((r) => hasRole(actor, r)) : e.public === true));
}
