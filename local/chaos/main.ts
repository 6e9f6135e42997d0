// `npm run chaos`: the chaos run with its history check (docs/operations.md, "Chaos run"). Exits 1 when
// the history shows a broken promise.
//   npm run chaos -- --accounts 600 --seed 7 [--json]
import { Command, InvalidArgumentError } from 'commander';
import { formatChaosReport } from './report.js';
import { runChaos } from './run.js';

const whole = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};

const program = new Command('chaos')
  .description(
    'A nightly cycle under injected Stripe faults, crashed function instances, overlapping scheduler calls and concurrent replays, then a check of the recorded history.',
  )
  .option('--accounts <n>', 'accounts in the synthetic world', whole(50, 20_000), 600)
  .option('--seed <n>', 'the world seed', whole(0, 2 ** 31), 7)
  .option('--window-s <s>', 'seconds during which function instances are crashed', whole(5, 600), 45)
  .option('--json', 'print the whole report as JSON', false)
  .action(async (o: { accounts: number; seed: number; windowS: number; json: boolean }) => {
    const report = await runChaos({
      accounts: o.accounts,
      seed: o.seed,
      chaosWindowMs: o.windowS * 1000,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatChaosReport(report));
    process.exitCode = report.verdict.ok ? 0 : 1;
  });

await program.parseAsync(process.argv);
// Google clients keep sockets open: the run is over once its report is written.
await new Promise((resolve) => process.stdout.write('', resolve));
process.exit(process.exitCode ?? 0);
