import { plan } from '../shared/core/planner.js';
import { AccountView } from '../shared/domain/account-view.js';
import { parseJson } from '../shared/domain/validate.js';
import { randomView } from '../test/support/random-view.js';
import { fmt, median, timeMs } from './stats.js';

/**
 * Planner throughput against its lower bound: every plan first pays JSON.parse + schema validation of its
 * view, so that is measured on the same views in the same run. Target: plan / validate <= 1.
 */
export function benchPlanner(options: { views: number; rounds: number }): { ratio: number } {
  const texts = Array.from({ length: options.views }, (_, i) => JSON.stringify(randomView(i)));
  const views = texts.map((t) => parseJson(AccountView, 'AccountView', t));
  let sink = 0;
  // Warm up both paths so the JIT has compiled them before timing.
  for (let i = 0; i < Math.min(500, texts.length); i++) {
    sink += parseJson(AccountView, 'AccountView', texts[i] as string).accountId.length;
    sink += plan(views[i] as AccountView).changes.length;
  }
  const validateMs: number[] = [];
  const planMs: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    validateMs.push(
      timeMs(() => {
        for (const t of texts) sink += parseJson(AccountView, 'AccountView', t).accountId.length;
      }),
    );
    planMs.push(
      timeMs(() => {
        for (const v of views) sink += plan(v).changes.length;
      }),
    );
  }
  const v = median(validateMs);
  const p = median(planMs);
  const ratio = p / v;
  const bytes = texts.reduce((s, t) => s + t.length, 0);
  console.log(
    `planner (${options.views} generated views, ${fmt(bytes / options.views / 1024)} KiB each, median of ${options.rounds} rounds)`,
  );
  console.log(
    `  parse+validate (lower bound): ${fmt((options.views / v) * 1000, 0)} views/s, ${fmt((v / options.views) * 1000)} µs/view`,
  );
  console.log(
    `  plan:                         ${fmt((options.views / p) * 1000, 0)} plans/s, ${fmt((p / options.views) * 1000)} µs/plan`,
  );
  console.log(
    `  ratio plan / validate: ${fmt(ratio, 2)} (target <= 1.00) ${ratio <= 1 ? 'OK' : 'OVER TARGET'}`,
  );
  if (sink === -1) console.log(sink); // keep the work observable so it is not optimised away
  return { ratio };
}
