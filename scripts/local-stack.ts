/**
 * Brings the local stack up and keeps it up until Ctrl-C:
 *   npx tsx scripts/local-stack.ts [--accounts N] [--seed stack-seed.json] [--no-emulators]
 * `--seed` reads a JSON StackSeed ({ stripe, subsApi, www }; docs/local-stack.md). Ctrl-C (SIGINT) or
 * SIGTERM stops everything; the emulators run in their own process groups, which are ended too.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { demoSeed } from '../shared/local/demo-seed.js';
import { type StackSeed, startLocalStack } from '../shared/local/stack.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '0' },
    seed: { type: 'string' },
    'no-emulators': { type: 'boolean', default: false },
  },
});

const accounts = Number(values.accounts);
if (!Number.isInteger(accounts) || accounts < 0) {
  console.error(`--accounts must be a non-negative integer, got ${values.accounts}`);
  process.exit(2);
}
let seed: StackSeed | undefined;
if (values.seed) seed = JSON.parse(readFileSync(values.seed, 'utf8')) as StackSeed;
else if (accounts > 0) seed = demoSeed(accounts);

console.log('starting the local stack…');
const stack = await startLocalStack({ emulators: !values['no-emulators'], ...(seed ? { seed } : {}) });

const rows: Array<[string, string]> = [
  ['Pub/Sub emulator', stack.endpoints.pubsub ? `http://${stack.endpoints.pubsub}` : '(not started)'],
  ['Firestore emulator', stack.endpoints.firestore ? `http://${stack.endpoints.firestore}` : '(not started)'],
  ['Stripe API', `${stack.endpoints.stripe}  (admin: ${stack.endpoints.stripe}/_admin/…)`],
  ['subs-api', stack.endpoints.subsApi],
  ['www', stack.endpoints.www],
];
for (const [name, where] of rows) console.log(`  ${name.padEnd(20)} ${where}`);
console.log('\nexport these to point clients at it:');
for (const [k, v] of Object.entries(stack.env)) console.log(`  export ${k}=${v}`);
console.log(`\nstartup ms: ${JSON.stringify(stack.startupMs)}`);
if (seed) {
  console.log(
    `seeded: ${seed.stripe?.customers?.length ?? 0} Stripe customers, ${seed.subsApi?.zones.length ?? 0} subs-api zones, ${seed.www?.zones.length ?? 0} www zones`,
  );
}
console.log('\nCtrl-C to stop.');

let stopping = false;
const shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack…`);
  try {
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  } catch (err) {
    console.error('stopping failed:', err);
    process.exit(1);
  }
};
process.on('SIGINT', (s) => void shutdown(s));
process.on('SIGTERM', (s) => void shutdown(s));
