// `npm run screenshots`: the support console's screenshots in docs/ (docs/support.md), taken on the real
// local stack: a nightly cycle of 300 synthetic accounts, 35 days of synthetic audit history before it, the
// console in its own process behind the local IAP, and Debian's Chromium (local/console/browser.ts).
//   docs/console-account.png  the account page of a world account blocked in the run (the why sentence on top)
//   docs/console-run.png      today's scheduled Stripe run
//   docs/console-trends.png   the trends page (30 days)
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LaunchedBrowser, launchChromium } from '../local/console/browser.js';
import { type LocalConsole, startLocalConsole } from '../local/console/start.js';
import { runNightlyCycle } from '../local/run/cycle.js';
import { startLocalPipeline } from '../local/run/pipeline.js';
import { insertAuditHistory, syntheticAuditHistory } from '../local/synthetic/audit-history.js';
import { DATASETS } from '../shared/contracts/topology.js';
import { scheduledRunId } from '../shared/pipeline/detect.js';

const ROOT = resolve(import.meta.dirname, '..');
const WIDTH = 1366;
/** A taller page is cut here (a few hundred KB of PNG at most); the run and the trends are shown whole. */
const ACCOUNT_MAX_HEIGHT = 1800;
const FINAL = `${DATASETS.observability}.audit_final_outcomes`;

const note = (s: string) => process.stderr.write(`${s}\n`);

const p = await startLocalPipeline({
  accounts: 300,
  seed: 42,
  projectId: 'console-screenshots',
  onProgress: (step) => note(`  ${step}`),
});
let served: LocalConsole | null = null;
let chromium: LaunchedBrowser | null = null;
try {
  const cycle = await runNightlyCycle(p);
  if (!cycle.drained) throw new Error('the nightly cycle did not drain');
  const runId = scheduledRunId('stripe', p.snapshotDate);
  const skip = new Set([runId, scheduledRunId('www', p.snapshotDate)]);
  // Earlier nights up to yesterday; the local run's own run ids are left to the run (its page is its own).
  const history = syntheticAuditHistory({
    days: 35,
    beforeDate: new Date().toISOString().slice(0, 10),
    accountsPerDay: 40,
  }).filter((r) => !skip.has(r.run_id));
  await insertAuditHistory(p.bq, history);
  note(`  ${history.length} synthetic audit rows of earlier nights`);

  // A world account blocked in the run whose final word that is (no later attempt says something else).
  const [blocked] = (
    await p.bq.query({
      query: `SELECT f.account_id FROM ${FINAL} AS f
              WHERE f.run_id = @run AND f.stage = 'plan_apply' AND f.outcome = 'blocked'
                AND NOT STARTS_WITH(f.account_id, 'acc_9')
                AND (SELECT COUNT(*) FROM ${FINAL} AS g WHERE g.account_id = f.account_id
                     AND g.outcome != 'published' AND g.stage IN ('plan_apply', 'www_resync', 'gather', 'detect')) = 1
              ORDER BY f.account_id LIMIT 1`,
      params: { run: runId },
    })
  )[0] as { account_id: string }[];
  if (!blocked) throw new Error(`no blocked account in ${runId}`);

  served = await startLocalConsole({ env: p.env, stripeDashboardUrl: p.stack.stripe.dashboardUrl });
  chromium = await launchChromium();
  const context = await chromium.browser.newContext({
    javaScriptEnabled: false,
    viewport: { width: WIDTH, height: 900 },
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const shots: [string, string, number][] = [
    [`/accounts/${blocked.account_id}`, 'docs/console-account.png', ACCOUNT_MAX_HEIGHT],
    [`/runs/${runId}`, 'docs/console-run.png', Number.POSITIVE_INFINITY],
    ['/trends', 'docs/console-trends.png', Number.POSITIVE_INFINITY],
  ];
  for (const [path, file, maxHeight] of shots) {
    const response = await page.goto(`${served.url}${path}`, { waitUntil: 'load' });
    if (response?.status() !== 200) throw new Error(`${path} answered ${response?.status()}`);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    const out = resolve(ROOT, file);
    await page.screenshot({
      path: out,
      fullPage: true,
      ...(height > maxHeight ? { clip: { x: 0, y: 0, width: WIDTH, height: maxHeight } } : {}),
    });
    note(
      `  ${file}: ${path}, ${WIDTH} × ${Math.min(height, maxHeight)} px${height > maxHeight ? ` (of ${height})` : ''}, ${Math.round(statSync(out).size / 1024)} KB`,
    );
  }
  await context.close();
} finally {
  await chromium?.close();
  await served?.stop();
  await p.stop();
}
