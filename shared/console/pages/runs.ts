import type { AuditRecord } from '../../domain/audit.js';
import { type Html, html } from '../html.js';
import { type RunSummary, total } from '../summaries.js';
import { accountHref, runHref } from './account.js';

/**
 * The nightly runs (docs/support.md): the list over the last days, and one run — drift found (new,
 * persistent, excluded), what became of it, every restriction that blocked, halts and their reasons, and
 * the accounts that were not healed.
 */

const HEAL_OUTCOMES = [
  'applied',
  'noop',
  'blocked',
  'needs_human',
  'dry_run',
  'stale',
  'excluded',
  'halted',
  'failed',
];

function counts(m: Readonly<Record<string, number>>): Html {
  const entries = Object.entries(m).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0
    ? html`—`
    : html`${entries.map(([k, n], i) => html`${i > 0 ? ', ' : ''}${k} ${n}`)}`;
}

export function runsPage(runs: readonly RunSummary[], days: number): Html {
  return html`<h1>Nightly runs, last ${days} days</h1>
<p class="muted">One row per scheduled run and drift system. Counts are final outcomes (a retried attempt counts once).</p>
<table id="runs">
<thead><tr><th scope="col">Run</th><th scope="col">System</th><th scope="col">Snapshot</th><th scope="col" class="num">New drift</th>
<th scope="col" class="num">Persistent</th><th scope="col" class="num">Excluded</th><th scope="col" class="num">Applied</th>
<th scope="col" class="num">Blocked</th><th scope="col" class="num">Needs a human</th><th scope="col" class="num">Failed</th><th scope="col">Halted</th></tr></thead>
<tbody>${
    runs.length === 0
      ? html`<tr><td colspan="11">No scheduled run in this period.</td></tr>`
      : runs.map(
          (
            r,
          ) => html`<tr data-run="${r.runId}"><td><a href="${runHref(r.runId)}">${r.runId}</a></td><td>${r.system}</td><td>${r.snapshotDate ?? '—'}</td>
      <td class="num">${r.newDrift}</td><td class="num">${r.persistent}</td><td class="num">${total(r.excluded)}</td>
      <td class="num">${r.outcomes.applied ?? 0}</td><td class="num">${r.outcomes.blocked ?? 0}</td><td class="num">${r.outcomes.needs_human ?? 0}</td>
      <td class="num">${r.outcomes.failed ?? 0}</td><td>${r.haltedBy === null ? '—' : html`<span class="badge halted">${r.haltedBy}</span>`}</td></tr>`,
        )
  }</tbody></table>`;
}

export interface RunPageData {
  readonly runId: string;
  readonly summaries: readonly RunSummary[];
  readonly restrictions: readonly { restriction: string; count: number }[];
  readonly halts: readonly AuditRecord[];
  /** Final attempts that did not heal (blocked, needs a human, failed, stale, excluded), capped. */
  readonly notHealed: readonly AuditRecord[];
  readonly notHealedCap: number;
}

function stat(label: string, n: number, id: string): Html {
  return html`<div class="stat" id="${id}"><span class="n">${n}</span>${label}</div>`;
}

export function runPage(data: RunPageData): Html {
  if (data.summaries.length === 0)
    return html`<h1>Run <span class="mono">${data.runId}</span></h1><p>No final outcome of this run is in the audit table.</p>`;
  return html`<h1>Run <span class="mono">${data.runId}</span></h1>
${data.summaries.map(
  (
    s,
  ) => html`<section aria-labelledby="sum-${s.system}"><h2 id="sum-${s.system}">${s.system} drift · snapshot ${s.snapshotDate ?? '—'} · ${s.trigger}</h2>
  <p class="muted">From ${s.startedAt} to ${s.finishedAt}.${s.haltedBy === null ? '' : html` <strong class="badge halted">Halted: ${s.haltedBy}</strong>`}</p>
  <div class="grid">
    ${stat('new drift', s.newDrift, `new-${s.system}`)}
    ${stat('persistent drift', s.persistent, `persistent-${s.system}`)}
    ${stat('excluded', total(s.excluded), `excluded-${s.system}`)}
    ${stat('applied', s.outcomes.applied ?? 0, `applied-${s.system}`)}
    ${stat('blocked', s.outcomes.blocked ?? 0, `blocked-${s.system}`)}
    ${stat('needs a human', s.outcomes.needs_human ?? 0, `needs-human-${s.system}`)}
  </div>
  <table><caption>What became of the drift</caption><tbody>
    <tr><th scope="row">Excluded at detection, by reason</th><td>${counts(s.excluded)}</td></tr>
    <tr><th scope="row">Heal outcomes</th><td>${counts(Object.fromEntries(HEAL_OUTCOMES.filter((o) => s.outcomes[o]).map((o) => [o, s.outcomes[o] as number])))}</td></tr>
    <tr><th scope="row">Ended at gather</th><td>${counts(s.gatherEnded)}</td></tr>
  </tbody></table></section>`,
)}
<section aria-labelledby="restr-h"><h2 id="restr-h">Restrictions that blocked</h2>
${
  data.restrictions.length === 0
    ? html`<p class="muted">No restriction blocked a heal in this run.</p>`
    : html`<table id="restrictions"><thead><tr><th scope="col">Restriction</th><th scope="col" class="num">Accounts blocked</th></tr></thead>
    <tbody>${data.restrictions.map((r) => html`<tr><th scope="row">${r.restriction}</th><td class="num">${r.count}</td></tr>`)}</tbody></table>`
}</section>
<section aria-labelledby="halts-h"><h2 id="halts-h">Halts</h2>
${
  data.halts.length === 0
    ? html`<p class="muted">Nothing halted.</p>`
    : html`<ul id="halts">${data.halts.map(
        (h) =>
          html`<li><strong>${h.error_code ?? 'halted'}</strong> (${h.stage}${h.account_id ? html`, <a href="${accountHref(h.account_id)}">${h.account_id}</a>` : ''}): ${h.reason ?? ''}</li>`,
      )}</ul>`
}</section>
<section aria-labelledby="nh-h"><h2 id="nh-h">Not healed</h2>
${
  data.notHealed.length === 0
    ? html`<p class="muted">Every account with new drift was healed or had nothing to do.</p>`
    : html`<table id="not-healed"><caption>${data.notHealed.length >= data.notHealedCap ? `The first ${data.notHealedCap}` : `All ${data.notHealed.length}`}</caption>
    <thead><tr><th scope="col">Account</th><th scope="col">Stage</th><th scope="col">Outcome</th><th scope="col">Restrictions · code</th><th scope="col">Reason</th></tr></thead>
    <tbody>${data.notHealed.map(
      (
        r,
      ) => html`<tr><td>${r.account_id ? html`<a href="${accountHref(r.account_id)}">${r.account_id}</a>` : '—'}${r.zone_id ? html` <span class="muted">zone ${r.zone_id}</span>` : ''}</td>
        <td>${r.stage}</td><td><span class="badge ${r.outcome}">${r.outcome}</span></td>
        <td>${[...r.restrictions, ...(r.error_code ? [r.error_code] : [])].join(', ') || '—'}</td><td>${r.reason ?? ''}</td></tr>`,
    )}</tbody></table>`
}</section>`;
}
