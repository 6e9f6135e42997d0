import { type Html, html } from '../html.js';
import type { RunSummary } from '../summaries.js';
import { accountHref, runHref } from './account.js';

export interface SearchResult {
  readonly accountId: string;
  /** How the text matched: `account`, `customer`, `zone`, `prefix`. */
  readonly via: string;
}

export function searchPage(q: string, results: readonly SearchResult[], problems: readonly string[]): Html {
  return html`<h1>Search: <span class="mono">${q}</span></h1>
${
  problems.length === 0
    ? ''
    : html`<div class="problems" role="status"><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
}
${
  results.length === 0
    ? html`<p id="no-results">No account matches. Search by account id (or its start), Stripe customer id (cus_…) or zone id.</p>`
    : html`<ul id="results">${results.map(
        (r) =>
          html`<li><a href="${accountHref(r.accountId)}">${r.accountId}</a> <span class="muted">(${r.via})</span></li>`,
      )}</ul>`
}`;
}

export function homePage(recent: readonly RunSummary[]): Html {
  return html`<h1>Why did remediation fire, or not?</h1>
<p>Search for an account by its id, its Stripe customer id or one of its zones (the search box above), or start from a run.</p>
<h2>Latest nightly runs</h2>
${
  recent.length === 0
    ? html`<p class="muted">No scheduled run in the last week.</p>`
    : html`<ul id="recent-runs">${recent.map(
        (r) =>
          html`<li><a href="${runHref(r.runId)}">${r.runId}</a> — ${r.system}: ${r.newDrift} new, ${r.outcomes.applied ?? 0} healed, ${r.outcomes.blocked ?? 0} blocked${r.haltedBy ? html`, <strong>halted (${r.haltedBy})</strong>` : ''}</li>`,
      )}</ul>`
}
<p><a href="/runs">All nightly runs</a> · <a href="/trends">Trends over 30 days</a></p>`;
}
