import type { AuditRecord } from '../../domain/audit.js';
import type { AccountReport, LiveSection } from '../../support/account-report.js';
import { type Html, html, query } from '../html.js';

/**
 * The account page (docs/support.md): the answer first — the same sentence `driftcontrol explain` prints —
 * then the evidence: the drift lifecycle per system, Stripe dashboard links, every attempt from the audit
 * table, and the live plan when asked for.
 */

export function runHref(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}

export function accountHref(accountId: string, live = false): string {
  return `/accounts/${encodeURIComponent(accountId)}${live ? query({ live: 1 }) : ''}`;
}

const VERDICT_WORDS: Record<AccountReport['explanation']['verdict'], string> = {
  healed: 'Healed',
  not_healed: 'Not healed',
  needs_human: 'Needs a human',
  not_attempted: 'Not attempted',
  no_drift: 'No drift',
  in_progress: 'In progress',
  no_record: 'No record',
};

function lifecycleTable(report: AccountReport): Html {
  const rows = (['stripe', 'www'] as const).map((system) => {
    const l = report.lifecycle[system];
    return l === null
      ? html`<tr><th scope="row">${system}</th><td colspan="7" class="muted">No lifecycle recorded.</td></tr>`
      : html`<tr><th scope="row">${system}</th><td><span class="badge ${l.status}">${l.status}</span></td>
          <td>${l.firstSeenAt}</td><td>${l.lastSeenAt}</td><td>${l.healedAt ?? '—'}</td>
          <td class="num">${l.attempts}</td><td>${l.lastOutcome}</td><td>${l.lastTrigger} · <a href="${runHref(l.lastRunId)}">${l.lastRunId}</a></td></tr>`;
  });
  return html`<table id="lifecycle">
  <caption>Drift lifecycle (Firestore, now)</caption>
  <thead><tr><th scope="col">System</th><th scope="col">Status</th><th scope="col">First seen</th><th scope="col">Last seen</th>
  <th scope="col">Healed</th><th scope="col" class="num">Checks</th><th scope="col">Last outcome</th><th scope="col">Last run</th></tr></thead>
  <tbody>${rows}</tbody></table>`;
}

function attemptRow(r: AuditRecord): Html {
  return html`<tr data-row-id="${r.row_id}">
    <td class="mono">${r.finished_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</td>
    <td>${r.system}</td>
    <td>${r.stage}</td>
    <td><span class="badge ${r.outcome}">${r.outcome}</span>${r.will_retry ? html` <span class="muted">(will retry)</span>` : ''}</td>
    <td>${r.restrictions.join(', ') || '—'}</td>
    <td class="num">${r.change_ids.length}${r.stripe_writes > 0 ? html` <span class="muted">(${r.stripe_writes} written)</span>` : ''}</td>
    <td class="mono">${r.error_code ?? '—'}</td>
    <td>${r.trigger}${r.requested_by ? html` by ${r.requested_by}` : ''} · <a href="${runHref(r.run_id)}">${r.run_id}</a>${r.dry_run ? ' (dry-run)' : ''}</td>
    <td>${r.reason ?? ''}</td>
  </tr>`;
}

function attemptsTable(attempts: readonly AuditRecord[]): Html {
  if (attempts.length === 0) return html`<p class="muted">No attempt on record.</p>`;
  return html`<table id="attempts">
  <caption>Every attempt from the audit table, newest first (${attempts.length})</caption>
  <thead><tr><th scope="col">Finished</th><th scope="col">System</th><th scope="col">Stage</th><th scope="col">Outcome</th>
  <th scope="col">Restrictions</th><th scope="col" class="num">Changes</th><th scope="col">Code</th><th scope="col">Trigger · run</th><th scope="col">Reason</th></tr></thead>
  <tbody>${[...attempts].reverse().map(attemptRow)}</tbody></table>`;
}

function liveSection(report: AccountReport): Html {
  const live: LiveSection | null = report.live;
  if (live === null)
    return html`<section aria-labelledby="live-h"><h2 id="live-h">Live plan</h2>
      <p class="no-print"><a class="button" href="${accountHref(report.accountId, true)}">Read every store live now</a>
      <span class="muted">Reads subs-api, OPE, billing_prod, cf_prod, Stripe and the gates; writes nothing.</span></p></section>`;
  const p = live.plan;
  return html`<section aria-labelledby="live-h" id="live"><h2 id="live-h">Live plan (read ${live.asOf})</h2>
    ${
      p === null
        ? html`<p>subs-api does not know the account.</p>`
        : html`<p>Outcome: <span class="badge ${p.outcome}">${p.outcome}</span> · ${p.changes.length} change(s) to apply,
          ${p.blockedChanges.length} blocked, ${p.droppedChanges.length} dropped by a gate.</p>
        <table><caption>Restrictions (all seven, whether they apply or not)</caption>
          <thead><tr><th scope="col">Restriction</th><th scope="col">Applies</th><th scope="col">Why</th></tr></thead>
          <tbody>${p.restrictions.map(
            (r) =>
              html`<tr><th scope="row">${r.name}</th><td>${r.applies ? 'yes' : 'no'}</td><td>${r.reason}</td></tr>`,
          )}</tbody></table>
        ${
          p.changes.length + p.blockedChanges.length === 0
            ? ''
            : html`<table><caption>Changes the live plan makes</caption>
          <thead><tr><th scope="col">Change</th><th scope="col">Kind</th><th scope="col">Target</th><th scope="col">Drift</th><th scope="col">State</th></tr></thead>
          <tbody>${[
            ...p.changes.map((c) => ({ c, state: 'would apply' })),
            ...p.blockedChanges.map((c) => ({ c, state: 'blocked' })),
          ].map(
            ({ c, state }) =>
              html`<tr><td class="mono">${c.id}</td><td>${c.kind}</td><td class="mono">${c.target.id}</td><td>${c.drift.join(', ')}</td><td>${state}</td></tr>`,
          )}</tbody></table>`
        }
        ${
          p.findings.length === 0
            ? ''
            : html`<h3>Needs a human</h3><ul>${p.findings.map((f) => html`<li>${f.kind}: ${f.detail}</li>`)}</ul>`
        }`
    }
    <table><caption>Sources (each read at)</caption><tbody>${live.sources.map(
      ([name, at]) => html`<tr><th scope="row">${name}</th><td class="mono">${at}</td></tr>`,
    )}</tbody></table></section>`;
}

export function accountPage(report: AccountReport): Html {
  const e = report.explanation;
  return html`<h1>Account <span class="mono">${report.accountId}</span></h1>
<section class="answer ${e.verdict}" aria-labelledby="why-h">
  <h2 id="why-h" class="why-label">Why <span class="badge ${e.verdict}" id="verdict">${VERDICT_WORDS[e.verdict]}</span></h2>
  <p class="sentence" id="why">${e.sentence}</p>
  <p id="next-step"><strong>Next step:</strong> ${e.action}</p>
</section>
${
  report.problems.length === 0
    ? ''
    : html`<div class="problems" role="status"><strong>Some reads failed; the page shows what could be read.</strong>
  <ul>${report.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
}
<section aria-labelledby="stripe-h"><h2 id="stripe-h">In the Stripe dashboard</h2>
${
  report.links.length === 0
    ? html`<p class="muted">No Stripe customer is mapped to this account in subs-api.</p>`
    : html`<ul id="stripe-links">${report.links.map(
        (l) =>
          html`<li>${l.kind}: <a href="${l.url}" rel="noreferrer" data-kind="${l.kind}">${l.id}</a></li>`,
      )}</ul>`
}
</section>
${lifecycleTable(report)}
${liveSection(report)}
<section aria-labelledby="attempts-h"><h2 id="attempts-h">Attempts</h2>${attemptsTable(report.attempts)}</section>
<section aria-labelledby="tickets-h"><h2 id="tickets-h">Tickets that name this account</h2>
${
  report.tickets.length === 0
    ? html`<p class="muted">No classified BILL or CUSTESC ticket names this account.</p>`
    : html`<table id="tickets"><thead><tr><th scope="col">Ticket</th><th scope="col">Created</th><th scope="col">Molecule · atom</th><th scope="col">Taxonomy</th></tr></thead>
    <tbody>${report.tickets.map(
      (t) =>
        html`<tr><th scope="row" class="mono">${t.key}</th><td>${t.created.slice(0, 10)}</td><td>${t.molecule ?? 'unclassified'} · ${t.atom}</td><td>${t.taxonomyVersion}</td></tr>`,
    )}</tbody></table>`
}</section>
${
  report.halts.length === 0
    ? ''
    : html`<section aria-labelledby="halts-h"><h2 id="halts-h">Nightly runs that halted (last 14 days)</h2><ul>${report.halts.map(
        (h) =>
          html`<li><a href="${runHref(h.run_id)}">${h.run_id}</a> (${h.system}, ${h.snapshot_date ?? ''}): ${h.error_code ?? ''} — ${h.reason ?? ''}</li>`,
      )}</ul></section>`
}`;
}
