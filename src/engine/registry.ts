import { checkSeparations, type WorkflowDefinition } from './definition';
import { budgetProposalV1 } from '../../workflows/budget-proposal/v1';
import { permitV1 } from '../../workflows/permit/v1';
import { procurementDeliveryV1 } from '../../workflows/procurement-delivery/v1';

/** Every registered workflow version; instances keep the version they started with. */
export class WorkflowRegistry {
  private readonly byKey = new Map<string, WorkflowDefinition>();
  private readonly newest = new Map<string, WorkflowDefinition>();

  constructor(definitions: readonly WorkflowDefinition[]) {
    for (const def of definitions) {
      const key = `${def.name}@${def.version}`;
      if (this.byKey.has(key)) throw new Error(`workflow ${key} is registered twice`);
      checkSeparations(def);
      this.byKey.set(key, def);
      const current = this.newest.get(def.name);
      if (!current || current.version < def.version) this.newest.set(def.name, def);
    }
  }

  get(name: string, version: number): WorkflowDefinition | undefined {
    return this.byKey.get(`${name}@${version}`);
  }

  latest(name: string): WorkflowDefinition | undefined {
    return this.newest.get(name);
  }

  all(): WorkflowDefinition[] {
    return [...this.byKey.values()];
  }
}

export function defaultRegistry(): WorkflowRegistry {
  return new WorkflowRegistry([budgetProposalV1, permitV1, procurementDeliveryV1]);
}
