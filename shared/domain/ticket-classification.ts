import { z } from 'zod';

/**
 * One row of billing_tickets.ticket_classifications: a ticket as one taxonomy version classified it
 * (docs/tickets.md). Every run writes its rows again; the views read the latest per ticket and version,
 * so a new version's rows sit beside the old ones and stay comparable.
 */
export const TicketClassificationRow = z.strictObject({
  key: z.string().min(1).max(64).describe('Jira issue key, e.g. BILL-123'),
  project: z.string().min(1).max(32),
  created: z.iso.datetime({ offset: true }).describe('when the ticket was created'),
  week: z.iso.date().describe('the ISO week (its Monday, UTC) the ticket was created in'),
  summary: z.string().max(300).describe('the ticket summary, cut to 300 characters, for the digest'),
  atom: z.string().min(1).describe('the atom, or "unclassified"'),
  molecule: z.string().nullable().describe("the atom's molecule; null when unclassified"),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.string().max(200)).max(20).describe('the phrases and features that decided it'),
  reason: z
    .string()
    .nullable()
    .describe('why a ticket is unclassified (low_confidence, empty, non_english, ...); null when classified'),
  truncated: z.boolean().describe('only the first part of a very long description was read'),
  taxonomy_version: z.string().min(1),
  account_ids: z.array(z.string()).describe('the account ids the ticket names (field and text)'),
  run_id: z.string().min(1),
  classified_at: z.iso.datetime({ offset: true }),
});
export type TicketClassificationRow = z.infer<typeof TicketClassificationRow>;
