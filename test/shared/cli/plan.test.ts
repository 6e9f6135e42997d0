import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AccountView } from '../../../shared/domain/account-view.js';
import { Plan } from '../../../shared/domain/plan.js';
import { customer, healthyView, opeItem, stripeItem, viewWith } from '../../support/views.js';

/** Runs the real CLI entry (bin/driftcontrol.mjs), as `npx driftcontrol` does after `npm ci`. */
const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'driftcontrol.mjs');
const dir = mkdtempSync(join(tmpdir(), 'driftcontrol-cli-'));

function run(args: string[], stdin?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: stdin, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function viewFile(name: string, view: AccountView | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof view === 'string' ? view : JSON.stringify(view));
  return path;
}

describe('driftcontrol plan', () => {
  it.each([
    { name: 'noop', view: healthyView(), code: 0, outcome: 'noop' },
    {
      name: 'changes',
      view: viewWith((v) => void (stripeItem(v).quantity = 4)),
      code: 2,
      outcome: 'changes',
    },
    {
      name: 'blocked',
      view: viewWith((v) => {
        v.subsAccount.data.accountType = 'sfcc';
        stripeItem(v).quantity = 4;
      }),
      code: 3,
      outcome: 'blocked',
    },
    {
      name: 'needs_human',
      view: viewWith((v) => void (opeItem(v).productId = 'prod_unpriced')),
      code: 3,
      outcome: 'needs_human',
    },
  ])('$name exits $code and prints a valid Plan', ({ name, view, code, outcome }) => {
    const r = run(['plan', '--view', viewFile(`${name}.json`, view)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(code);
    const parsed = Plan.parse(JSON.parse(r.stdout));
    expect(parsed.outcome).toBe(outcome);
  });

  it('reads the view from standard input with -', () => {
    const r = run(
      ['plan', '--view', '-'],
      JSON.stringify(viewWith((v) => void (customer(v).metadata.bad_debt = 'true'))),
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).changes[0].kind).toBe('customer_update');
  });

  it('prints a one-line-per-decision summary', () => {
    const view = viewWith((v) => {
      v.subsAccount.data.mergedAccountIds = ['acc_9'];
      stripeItem(v).quantity = 4;
    });
    const r = run(['plan', '--format', 'summary', '--view', viewFile('summary.json', view)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('acc_1 at 2026-11-24T12:00:00Z: blocked');
    expect(r.stdout).toContain('restriction MergedAccount: account is merged with acc_9');
  });

  it('applies the InvoiceDateTooNear threshold from the command line', () => {
    const view = viewWith((v) => {
      stripeItem(v).quantity = 4;
      v.stripe.invoices.data.next = {
        nextInvoiceAt: '2026-11-29T12:00:00Z',
        amountDueMinor: 1,
        currency: 'usd',
      };
    });
    const file = viewFile('near.json', view);
    expect(run(['plan', '--view', file]).code).toBe(2);
    expect(run(['plan', '--view', file, '--invoice-date-too-near-days', '7']).code).toBe(3);
    const bad = run(['plan', '--view', file, '--invoice-date-too-near-days', '-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('must be a whole number of days');
  });

  it.each([
    {
      name: 'invalid JSON',
      content: '{"accountId": ',
      message: /invalid AccountView: \(root\): not valid JSON/,
    },
    {
      name: 'invalid view',
      content: JSON.stringify({ ...healthyView(), asOf: 'yesterday' }),
      message: /invalid AccountView: asOf: /,
    },
    {
      name: 'float money',
      content: JSON.stringify(
        viewWith(
          (v) =>
            void ((v.billingProd.data.catalogue[0] as { unitAmountMinor: number }).unitAmountMinor = 19.99),
        ),
      ),
      message: /billingProd\.data\.catalogue\[0\]\.unitAmountMinor/,
    },
  ])('$name exits 1 with a clear message and no stack trace', ({ name, content, message }) => {
    const r = run(['plan', '--view', viewFile(`${name}.json`, content)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 for a missing file, naming it', () => {
    const r = run(['plan', '--view', join(dir, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*nope\.json: ENOENT/);
  });

  it('exits 1 without --view, and documents the exit codes in --help', () => {
    expect(run(['plan']).code).toBe(1);
    const help = run(['plan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/0 +nothing to do/);
    expect(help.stdout).toMatch(/2 +changes planned/);
    expect(help.stdout).toMatch(/3 +blocked/);
  });
});
