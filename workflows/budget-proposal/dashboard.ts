import { sql } from 'kysely';
import { inScope } from '../../src/engine/dashboard';
import type { DashboardFigure } from '../../src/engine/package';
import { CEILING_USING_STATES } from './ceilings';

/** Ceiling vs approved vs ratified per OPD that has a ceiling or an approved proposal that year. */
export const budgetFigure: DashboardFigure = {
  id: 'budget',
  kind: 'rupiah',
  text: {
    id: {
      title: 'Pagu, disetujui dan disahkan',
      description: 'Per OPD untuk tahun anggaran {year}: pagu, jumlah usulan RKA yang disetujui TAPD (termasuk yang sudah disahkan) dan yang disahkan menjadi DPA.',
      chartTitle: 'Pagu, disetujui dan disahkan per OPD, {year}',
      columns: ['Pagu', 'Disetujui', 'Disahkan'],
      missing: 'belum ditetapkan',
    },
    en: {
      title: 'Ceiling, approved and ratified',
      description: 'Per OPD for fiscal year {year}: the ceiling, the budget proposals approved by TAPD (including those already ratified) and those ratified as DPA.',
      chartTitle: 'Ceiling, approved and ratified per OPD, {year}',
      columns: ['Ceiling', 'Approved', 'Ratified'],
      missing: 'not set',
    },
  },
  async rows(db, scope) {
    if (scope.orgs && scope.orgs.length === 0) return [];
    // Served by workflow_instances_ceiling (org_id, fiscal_year, state) and the ceilings key.
    const rows = await sql<{ org: string; org_name: string; ceiling: string | null; approved: string; ratified: string }>`
      SELECT o.id AS org, o.name AS org_name, c.amount AS ceiling,
        coalesce(sum(w.total), 0) AS approved,
        coalesce(sum(w.total) FILTER (WHERE w.state = 'ratified'), 0) AS ratified
      FROM orgs o
      LEFT JOIN ceilings c ON c.org_id = o.id AND c.fiscal_year = ${scope.year}
      LEFT JOIN workflow_instances w ON w.org_id = o.id AND w.workflow = 'budget-proposal' AND w.fiscal_year = ${scope.year}
        AND w.state IN (${sql.join([...CEILING_USING_STATES])})
      WHERE (c.org_id IS NOT NULL OR w.id IS NOT NULL) ${inScope('o.id', scope)}
      GROUP BY o.id, o.name, c.amount
      ORDER BY o.name`.execute(db);
    return rows.rows.map((r) => ({
      org: r.org, orgName: r.org_name, values: [r.ceiling === null ? null : Number(r.ceiling), Number(r.approved), Number(r.ratified)],
    }));
  },
};
