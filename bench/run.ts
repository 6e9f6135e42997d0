// `npm run bench`: every benchmark, each reported as a ratio against a lower bound measured in the same run.
// Options: --only NAME (planner, ...), --views N, --rounds N.
import { parseArgs } from 'node:util';
import { benchPipeline } from './pipeline.js';
import { benchPlanner } from './planner.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    views: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    accounts: { type: 'string', default: '2000' },
  },
});

const benches: Record<string, () => Promise<unknown> | unknown> = {
  planner: () => benchPlanner({ views: Number(values.views), rounds: Number(values.rounds) }),
  pipeline: () => benchPipeline({ accounts: Number(values.accounts) }),
};

for (const [name, run] of Object.entries(benches)) {
  if (values.only && values.only !== name) continue;
  await run();
  console.log();
}
