import type { Command } from 'commander';
import { DriftControlConfig } from '../../domain/config.js';
import type { ControlStore } from '../../ports/index.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out } from '../io.js';

/**
 * `driftcontrol config show|set`: the Firestore config document (kill switch, dry-run, thresholds), through
 * the same adapter the functions read it with. A set is one Firestore transaction (two operators at once
 * never lose a change) validated against the functions' schema, so a typo or an out-of-range value never
 * lands.
 */

const FIELDS = Object.keys(DriftControlConfig.shape);

/** `true`/`false`, plain decimal numbers, or strings; nothing that could name a prototype. */
export function parseAssignments(pairs: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = Object.create(null);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!FIELDS.includes(key))
      throw new CliError(`${key} is not a config field (one of ${FIELDS.join(', ')})`);
    if (Object.hasOwn(patch, key)) throw new CliError(`${key} is given twice`);
    patch[key] =
      raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return { ...patch };
}

async function controlStore(): Promise<{ control: ControlStore; close: () => Promise<void> }> {
  const a = await environmentAdapters('config');
  return { control: a.control, close: a.close };
}

export function registerConfig(program: Command, out: Out): void {
  const config = program
    .command('config')
    .description('Show or change the driftcontrol config (Firestore config/driftcontrol).');
  config
    .command('show')
    .description('Print the config in force (the document merged over the fail-safe defaults).')
    .action(async () => {
      const { control, close } = await controlStore();
      try {
        out.stdout(`${JSON.stringify({ config: await control.getConfig() }, null, 2)}\n`);
      } finally {
        await close();
      }
    });
  config
    .command('set')
    .argument('<key=value...>', 'fields to set, e.g. killSwitch=true dryRun=false perRunCap=100')
    .description(
      'Change fields of the config in one transaction. Validated before writing; other fields are kept.',
    )
    .action(async (pairs: string[]) => {
      const patch = parseAssignments(pairs);
      const { control, close } = await controlStore();
      try {
        out.stdout(`${JSON.stringify(await control.updateConfig(patch), null, 2)}\n`);
      } catch (error) {
        const { InvalidControlDocumentError } = await import('../../adapters/firestore.js');
        if (error instanceof InvalidControlDocumentError)
          throw new CliError(`config not changed: ${error.issues.join('; ')}`);
        throw error;
      } finally {
        await close();
      }
    });
}
