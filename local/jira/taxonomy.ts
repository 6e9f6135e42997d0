/**
 * The ticket taxonomy the synthetic tickets are labelled against: six molecules of twelve atoms, plus
 * `unclassified` for a ticket that belongs to no atom. Only the ids live here; what each atom means is the
 * taxonomy document's business, and the templates (ticket-templates.ts) are written to match it.
 */
export const MOLECULES = {
  'subscription-state': [
    'annual-monthly-confusion',
    'cancellation-failure',
    'stuck-processing',
    'ghost-subscription',
  ],
  'payment-loop': ['checkout-blocked', 'bad-debt-state'],
  'invoice-quality': ['void-waive', 'invoice-confusion'],
  reconciliation: ['entitlement-drift', 'ordering-duplicate'],
  'customer-impact': ['refund-dispute'],
  operational: ['operational'],
} as const;

export type MoleculeId = keyof typeof MOLECULES;
export type AtomId = (typeof MOLECULES)[MoleculeId][number];

export const UNCLASSIFIED = 'unclassified';
/** What a ticket is about: one atom, or none. */
export type TicketLabel = AtomId | typeof UNCLASSIFIED;

export const MOLECULE_IDS = Object.keys(MOLECULES) as MoleculeId[];
export const ATOM_IDS: readonly AtomId[] = MOLECULE_IDS.flatMap((m) => MOLECULES[m]);
export const TICKET_LABELS: readonly TicketLabel[] = [...ATOM_IDS, UNCLASSIFIED];

const MOLECULE_OF = new Map<AtomId, MoleculeId>(
  MOLECULE_IDS.flatMap((m) => MOLECULES[m].map((a): [AtomId, MoleculeId] => [a, m])),
);

export function moleculeOf(atom: AtomId): MoleculeId {
  return MOLECULE_OF.get(atom) as MoleculeId;
}
