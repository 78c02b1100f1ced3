/** Complaint categories with the default working-day limit for the OPD's final answer (configurable per deployment by editing this table; a changed default applies to complaints dispatched afterwards). */
export const CATEGORIES: Readonly<Record<string, { id: string; en: string; answerDays: number }>> = {
  // Works that need a budget or a contractor get the long limit (SP4N-LAPOR: 60 days).
  infrastruktur: { id: 'Infrastruktur (jalan, jembatan, drainase)', en: 'Infrastructure (roads, bridges, drainage)', answerDays: 60 },
  kebersihan: { id: 'Kebersihan dan lingkungan', en: 'Cleanliness and environment', answerDays: 14 },
  kesehatan: { id: 'Layanan kesehatan', en: 'Health services', answerDays: 14 },
  pendidikan: { id: 'Pendidikan', en: 'Education', answerDays: 14 },
  perizinan: { id: 'Perizinan', en: 'Permits', answerDays: 14 },
  pelayanan_publik: { id: 'Pelayanan publik lainnya', en: 'Other public services', answerDays: 14 },
  lainnya: { id: 'Lainnya', en: 'Other', answerDays: 14 },
};

/** The category's default answer limit in working days. */
export function defaultAnswerDays(category: string): number {
  return CATEGORIES[category]?.answerDays ?? 14;
}
