import { barChart } from '../charts.js';
import { type Html, html, query } from '../html.js';
import type { Trends } from '../summaries.js';

/** The trends page (docs/support.md): four charts over the last days, each with its totals. */
export async function trendsPage(trends: Trends, days: number): Promise<Html> {
  const common = { days: trends.days, valueLabel: 'accounts' };
  const charts = await Promise.all([
    barChart({
      ...common,
      id: 'drift-found',
      title: 'Drift found, by kind and system',
      description:
        'Accounts (zones for WWW) detection found drifted each day: new drift goes to be healed; persistent and excluded drift does not.',
      points: trends.driftFound,
    }),
    barChart({
      ...common,
      id: 'heals-applied',
      title: 'Heals applied',
      description: 'Accounts whose changes were written each day (Stripe by plan-apply, WWW by www-resync).',
      points: trends.healsApplied,
    }),
    barChart({
      ...common,
      id: 'blocked-by',
      title: 'Blocked, by restriction',
      description:
        'Heals a restriction kept from being applied each day; an account blocked by two restrictions counts for both.',
      points: trends.blockedBy,
    }),
    barChart({
      ...common,
      id: 'needs-human',
      title: 'Needs a human',
      description: 'Drift no automatic path may heal, each day.',
      points: trends.needsHuman,
    }),
  ]);
  return html`<h1>Trends, last ${days} days</h1>
<p class="no-print">Show: ${[30, 60, 90].map(
    (d, i) =>
      html`${i > 0 ? ' · ' : ''}${d === days ? html`<strong>${d} days</strong>` : html`<a href="/trends${query({ days: d })}">${d} days</a>`}`,
  )}</p>
<p class="muted">Days are UTC, by when the final outcome was recorded; every trigger (nightly, events, replays) counts.</p>
${charts}`;
}
