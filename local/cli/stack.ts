import type { Command } from 'commander';
import { LOCAL_COMMANDS } from '../../shared/cli/local-commands.js';
import { startLocalPipeline } from '../run/pipeline.js';
import { accountCount } from './run-local.js';

/** `driftcontrol stack`: the whole local stack, seeded from one synthetic world, until Ctrl-C. */
export function registerStack(program: Command): void {
  program
    .command('stack')
    .description(LOCAL_COMMANDS.stack)
    .option('--accounts <n>', 'synthetic accounts to generate', accountCount, 1000)
    .option('--seed <n>', 'world seed (same seed, same world)', (v) => Number.parseInt(v, 10), 42)
    .action(async (options: { accounts: number; seed: number }) => {
      const note = (s: string) => process.stderr.write(`${s}\n`);
      const pipeline = await startLocalPipeline({
        accounts: options.accounts,
        seed: options.seed,
        onProgress: (step) => note(`  ${step}`),
      });
      const onSignal = () => {
        note('Stopping the local stack...');
        void pipeline.stop().finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      for (const [name, url] of Object.entries(pipeline.stack.endpoints))
        if (url) note(`  ${name.padEnd(12)} ${url}`);
      for (const [name, url] of Object.entries(pipeline.functionUrls)) note(`  ${name.padEnd(12)} ${url}`);
      note('\nEnvironment for the operator commands:');
      note(
        Object.entries(pipeline.env)
          .map(([k, v]) => `  export ${k}=${v}`)
          .join('\n'),
      );
      note(
        `Snapshot ${pipeline.snapshotDate} is loaded; trigger a run with: curl -XPOST -H 'content-type: application/json' -d '{"system":"stripe"}' ${pipeline.functionUrls['detect-drift']}`,
      );
      note('Ctrl-C stops everything.');
      await new Promise<void>(() => {});
    });
}
