import type { VerifiedIdentity } from '../ports/index.js';
import { type Html, html } from './html.js';

/**
 * The page frame: landmarks, a skip link, the signed-in person, and one stylesheet that works on a laptop
 * screen and in print (navigation and forms are not printed; links print their target).
 */

export const STYLESHEET_PATH = '/static/console.css';

export const STYLESHEET = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --line: #d0d0d0; --accent: #0b57d0;
  --ok: #0a6b2d; --warn: #8a4b00; --bad: #a50e0e; --bg-soft: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
a { color: var(--accent); }
a:focus, button:focus, input:focus { outline: 3px solid #f0b400; outline-offset: 1px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1.2rem;
  border-bottom: 1px solid var(--line); background: var(--bg-soft); }
header.top .brand { font-weight: 700; margin-right: 1rem; color: var(--ink); text-decoration: none; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header.top form { margin-left: auto; display: flex; gap: .4rem; align-items: center; }
header.top .who { color: var(--muted); font-size: 13px; }
input[type=search] { width: 22rem; max-width: 60vw; padding: .35rem .5rem; font: inherit; border: 1px solid #888; border-radius: 4px; }
button, .button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--accent); background: var(--accent);
  color: #fff; border-radius: 4px; text-decoration: none; cursor: pointer; display: inline-block; }
main { max-width: 1180px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.45rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
.answer { border-left: 6px solid var(--muted); background: var(--bg-soft); padding: .8rem 1rem; margin: .5rem 0 1rem; }
.answer p { margin: .2rem 0; }
.answer h2.why-label { margin: 0; font-size: 13px; color: var(--muted); }
.answer .sentence { font-size: 1.12rem; font-weight: 600; }
.answer.healed, .answer.no_drift { border-color: var(--ok); }
.answer.not_healed, .answer.needs_human { border-color: var(--bad); }
.answer.not_attempted, .answer.in_progress { border-color: var(--warn); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.badge.applied, .badge.noop, .badge.healed, .badge.no_drift { color: var(--ok); }
.badge.blocked, .badge.failed, .badge.needs_human, .badge.halted, .badge.stale, .badge.not_healed { color: var(--bad); }
.badge.excluded, .badge.dry_run, .badge.published, .badge.in_progress, .badge.not_attempted { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: 13.5px; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .6rem; margin: .5rem 0 1rem; }
.stat { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .7rem; }
.stat .n { font-size: 1.5rem; font-weight: 700; display: block; }
figure.chart { margin: 1rem 0 1.5rem; display: grid; grid-template-columns: minmax(0, 3fr) minmax(13rem, 1fr);
  gap: 0 1.2rem; align-items: start; }
figure.chart figcaption { grid-column: 1 / -1; }
@media (max-width: 900px) { figure.chart { grid-template-columns: minmax(0, 1fr); } }
figure.chart figcaption h2 { margin-bottom: .1rem; }
figure.chart figcaption p { margin: 0 0 .4rem; color: var(--muted); }
.chart-svg svg { max-width: 100%; height: auto; }
table.chart-data { width: 100%; margin-top: 2.2rem; }
.problems { border: 1px solid var(--warn); padding: .5rem .8rem; color: var(--warn); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding: .6rem 1.2rem; }
@media print {
  header.top nav, header.top form, .skip, .no-print { display: none !important; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a { color: var(--ink); text-decoration: none; }
  main a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 9pt; color: var(--muted); }
  .answer { background: none; }
  table { page-break-inside: auto; } tr { page-break-inside: avoid; }
  figure.chart { page-break-inside: avoid; grid-template-columns: minmax(0, 1fr); }
  table.chart-data { margin-top: 0; }
}
`;

export interface PageFrame {
  readonly title: string;
  readonly identity: VerifiedIdentity;
  readonly query?: string;
  readonly generatedAt: string;
  readonly body: Html;
}

export function page(frame: PageFrame): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} — drift control console</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Drift control</a>
  <nav aria-label="Console"><ul>
    <li><a href="/runs">Nightly runs</a></li>
    <li><a href="/trends">Trends</a></li>
  </ul></nav>
  <form role="search" method="get" action="/search">
    <label for="q" class="muted">Account, customer or zone</label>
    <input type="search" id="q" name="q" value="${frame.query ?? ''}" placeholder="account id, cus_…, or zone id" required>
    <button type="submit">Search</button>
  </form>
  <span class="who">Signed in as ${frame.identity.email} · read-only</span>
</header>
<main id="main">
${frame.body}
</main>
<footer>Read-only: this console moves no money. Page made ${frame.generatedAt}.</footer>
</body>
</html>`;
}
