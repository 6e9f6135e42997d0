import type { Command } from 'commander';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../../contracts/topology.js';
import { DriftControlConfig } from '../../domain/config.js';
import { validate } from '../../domain/validate.js';
import { CliError, type Out } from '../io.js';

/**
 * `driftcontrol config show|set`: the Firestore config document (kill switch, dry-run, thresholds).
 * A set is validated against the same schema the functions read with, so a typo never lands.
 */

export function parseAssignments(pairs: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    patch[key] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw !== '' && !Number.isNaN(Number(raw))
            ? Number(raw)
            : raw;
  }
  return patch;
}

async function configDoc() {
  const project = process.env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new CliError('GOOGLE_CLOUD_PROJECT is required');
  const { createFirestore } = await import('../../adapters/firestore.js');
  return createFirestore(project).collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID);
}

export function registerConfig(program: Command, out: Out): void {
  const config = program
    .command('config')
    .description('Show or change the driftcontrol config (Firestore config/driftcontrol).');
  config
    .command('show')
    .description('Print the config in force (the document merged over the fail-safe defaults).')
    .action(async () => {
      const snap = await (await configDoc()).get();
      const stored = snap.exists ? (snap.data() ?? {}) : {};
      out.stdout(
        `${JSON.stringify({ document: snap.exists ? 'present' : 'missing (defaults)', config: validate(DriftControlConfig, 'config', stored) }, null, 2)}\n`,
      );
    });
  config
    .command('set')
    .argument('<key=value...>', 'fields to set, e.g. killSwitch=true dryRun=false perRunCap=100')
    .description('Change fields of the config. Validated before writing; other fields are kept.')
    .action(async (pairs: string[]) => {
      const doc = await configDoc();
      const snap = await doc.get();
      const next = { ...(snap.exists ? snap.data() : {}), ...parseAssignments(pairs) };
      const parsed = validate(DriftControlConfig, 'config', next);
      await doc.set(parsed);
      out.stdout(`${JSON.stringify(parsed, null, 2)}\n`);
    });
}
