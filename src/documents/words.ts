import { roleLabel } from '../auth/roles';
import { packageLabel, stateLabel, type LabelledPackage } from '../web/i18n/labels';

/**
 * The words a document prints for one workflow's identifiers: officers read labels in Bahasa
 * Indonesia, not state, event, role or workflow ids, and each workflow labels its own (from its
 * package). An id without a label is printed with its underscores and dashes as spaces, as the
 * console does.
 */
export interface DocumentWords {
  /** The workflow's title. */
  workflow: string;
  state(id: string | null): string;
  event(id: string): string;
  role(id: string): string;
}

const readable = (id: string): string => id.replace(/[_-]+/g, ' ');

/** The words of `workflow`, read from its package (`registry.package(workflow)`); none loaded: ids made readable. */
export function documentWords(workflow: string, pkg: LabelledPackage | undefined): DocumentWords {
  return {
    workflow: pkg?.title.id ?? readable(workflow),
    state: (id) => (id === null ? '-' : stateLabel(pkg, 'id', id, readable)),
    event: (id) => packageLabel(pkg, 'id', 'events', id) ?? readable(id),
    role: (id) => roleLabel(id, 'id') ?? readable(id),
  };
}
