import type { DocumentSpec } from '../engine/definition';
import type { DocumentNumbering, WorkflowPackage } from '../engine/package';
import { CLASSIFICATION, DEFAULT_KIND, formatShowsKind, KIND, type NumberFormat } from './numbers';

/**
 * Which register of the issuing office a stage document is numbered in, and with which archive
 * classification code: as its package declares it (WorkflowPackage.documentNumbers), else the
 * default register with the step's own classification (900 when it names none).
 */
export function numberingOf(pkg: WorkflowPackage | undefined, state: string, event: string, spec: DocumentSpec): DocumentNumbering {
  return pkg?.documentNumbers?.[`${state}/${event}`] ?? { kind: DEFAULT_KIND, classification: spec.classification ?? '900' };
}

/**
 * What is wrong with the packages' document numbering: a declaration naming no step that makes a
 * document from a register, a malformed kind or classification, and — given the deployment's
 * number format — two registers that would print the same number. Within one office and year the
 * printed number must name its register: unless the format prints {kind}, two kinds may not share
 * a classification code (the default register included), or their numbers would collide.
 */
export function numberingProblems(packages: readonly WorkflowPackage[], format?: NumberFormat): string[] {
  const problems: string[] = [];
  const kindsByClass = new Map<string, Set<string>>();
  for (const pkg of packages) {
    const declared = pkg.documentNumbers ?? {};
    const used = new Set<string>();
    for (const { definition: def } of pkg.versions) {
      for (const [state, events] of Object.entries(def.steps)) {
        for (const [event, step] of Object.entries(events)) {
          if (!step.document) continue;
          const key = `${state}/${event}`;
          if (step.document.numberFrom) {
            if (declared[key]) problems.push(`workflow ${pkg.name}: documentNumbers names ${key}, whose document carries the stamped number data.${step.document.numberFrom}, not one from a register`);
            continue;
          }
          used.add(key);
          const n = numberingOf(pkg, state, event, step.document);
          let kinds = kindsByClass.get(n.classification);
          if (!kinds) kindsByClass.set(n.classification, (kinds = new Set()));
          kinds.add(n.kind);
        }
      }
    }
    for (const [key, n] of Object.entries(declared)) {
      if (!used.has(key)) problems.push(`workflow ${pkg.name}: documentNumbers names ${key}, which is no step of any version that makes a document`);
      if (typeof n?.kind !== 'string' || !KIND.test(n.kind)) problems.push(`workflow ${pkg.name}: documentNumbers ${key}: kind must be lower-case letters, digits and "-" (at most 40), starting with a letter`);
      if (typeof n?.classification !== 'string' || !CLASSIFICATION.test(n.classification)) problems.push(`workflow ${pkg.name}: documentNumbers ${key}: classification must be digits and dots, e.g. 900.1.4`);
    }
  }
  if (format && !formatShowsKind(format)) {
    for (const [classification, kinds] of kindsByClass) {
      if (kinds.size > 1) {
        problems.push(`document kinds ${[...kinds].sort().join(', ')} share the classification ${classification}: in the number format ${format.source} their registers would print the same numbers; give each kind its own classification, or put {kind} in GRMS_DOCUMENT_NUMBER_FORMAT`);
      }
    }
  }
  return problems;
}
