import { barChart } from '../charts.js';
import { type Html, html, query } from '../html.js';
import type { Trends } from '../summaries.js';

/** The trends page (docs/support.md): four charts over the last days, each with its totals. */
export async function trendsPage(trends: Trends, days: number): Promise<Html> {
  // Final outcomes, one per check: an account checked by the nightly run and by an event counts twice.
  const common = { days: trends.days, valueLabel: 'final outcomes' };
  const charts = await Promise.all([
    barChart({
      ...common,
      id: 'drift-found',
      title: 'Drift found, by kind and system',
      description:
        'Accounts (zones for WWW) the nightly detection found drifted each day: new drift goes to be healed; persistent and excluded drift does not.',
      points: trends.driftFound,
    }),
    barChart({
      ...common,
      id: 'heals-applied',
      title: 'Heals applied',
      description:
        'Checks whose changes were written each day, by any trigger (Stripe by plan-apply, WWW by www-resync).',
      points: trends.healsApplied,
    }),
    barChart({
      ...common,
      id: 'blocked-by',
      title: 'Blocked, by restriction',
      description:
        'Checks a restriction kept from being applied each day, by any trigger; one blocked by two restrictions counts for both.',
      points: trends.blockedBy,
    }),
    barChart({
      ...common,
      id: 'needs-human',
      title: 'Needs a human',
      description: 'Checks that found drift no automatic path may heal, each day, by any trigger.',
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
