import { addWeeks, weekOf } from '../../shared/tickets/weeks.js';
import type { LocalPipeline } from './pipeline.js';

/**
 * The weekly ticket signal on the local stack (docs/tickets.md): classify-tickets called for each of the
 * last N weeks of the synthetic world's Jira tickets, over HTTP, as operators backfill it; the last
 * week's digest is what the function answers.
 */

export interface TicketWeeksResult {
  readonly weeks: readonly { week: string; status: number; body: Record<string, unknown> }[];
  readonly digest: string | null;
}

export async function classifyTicketWeeks(p: LocalPipeline, count: number): Promise<TicketWeeksResult> {
  const last = weekOf(`${p.snapshotDate}T00:00:00Z`);
  const weeks: TicketWeeksResult['weeks'][number][] = [];
  for (let i = count - 1; i >= 0; i--) {
    const week = addWeeks(last, -i);
    const r = await p.classifyTickets({ week });
    weeks.push({ week, status: r.status, body: r.body as Record<string, unknown> });
  }
  const final = weeks.at(-1)?.body as { digest?: string } | undefined;
  return { weeks, digest: final?.digest ?? null };
}

export function formatTicketWeeks(r: TicketWeeksResult): string {
  let tickets = 0;
  let classified = 0;
  for (const w of r.weeks) {
    const s = (w.body.summary ?? {}) as { tickets?: number; classified?: number };
    tickets += s.tickets ?? 0;
    classified += s.classified ?? 0;
  }
  const failed = r.weeks.filter((w) => w.status !== 200);
  const head = `Tickets: ${r.weeks.length} weeks, ${tickets} tickets, ${classified} classified (${tickets === 0 ? 0 : ((100 * classified) / tickets).toFixed(1)}%)${failed.length > 0 ? `; FAILED weeks: ${failed.map((w) => `${w.week} (${w.status})`).join(', ')}` : ''}`;
  return r.digest === null ? head : `${head}\n\n${r.digest}`;
}
