/**
 * Every code the pipeline can write into an audit row has an explanation: the codes are read from the
 * source itself (literal `errorCode:`/`code:` values of the cores, the handlers' and validation's codes,
 * the warehouse's exclusion codes), so a new code without an entry in REASON_CODES fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UPSTREAM_SERVICES } from '../../../shared/ports/errors.js';
import {
  explainCode,
  isKnownReasonCode,
  REASON_CODES,
  UPSTREAM_ERROR_CODES,
} from '../../../shared/support/reason-codes.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath, e.name));
}

/** Codes a core, a handler or validation can put into `error_code`. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const sources = ['shared/pipeline', 'shared/core', 'shared/runtime', 'shared/domain'].flatMap((d) =>
    filesUnder(d, '.ts'),
  );
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\berrorCode: '([a-z_-]+)'/g)) codes.add(m[1] as string);
    // A core's verdicts and refusals carry `code`, which becomes the row's error_code.
    if (!file.includes('/runtime/'))
      for (const m of text.matchAll(/\bcode(?: =|:) '([a-z_-]+)'/g)) codes.add(m[1] as string);
  }
  // The warehouse's exclusion reasons (`code` or `code:detail`): detection audits the code.
  for (const file of filesUnder('shared/warehouse/sql/queries', '.sql')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\['([a-z_]+)'\]|CONCAT\('([a-z_]+):/g))
      codes.add((m[1] ?? m[2]) as string);
  }
  return codes;
}

describe('REASON_CODES', () => {
  const found = codesInSource();

  it('finds the codes the pipeline writes (the scan itself works)', () => {
    for (const code of [
      'kill_switch',
      'persistent_drift',
      'unsupported_account_type',
      'invalid_message',
      'stale_plan',
    ])
      expect(found).toContain(code);
    expect(found.size).toBeGreaterThan(25);
  });

  it.each([...found].sort())('explains %s', (code) => {
    expect(
      isKnownReasonCode(code),
      `${code} is written by the pipeline but has no entry in REASON_CODES`,
    ).toBe(true);
  });

  it.each(Object.keys(REASON_CODES))('%s says what happened and what to do, briefly', (code) => {
    const e = explainCode(code);
    expect(e?.meaning.length).toBeGreaterThan(10);
    expect(e?.meaning.endsWith('.')).toBe(false);
    expect(e?.action).toMatch(/^[A-Z].*\.$/);
  });

  it.each(UPSTREAM_SERVICES)('explains a failure of %s (`<service>_error`)', (service) => {
    expect(explainCode(`${service}_error`)?.meaning).toContain(service);
    expect(UPSTREAM_ERROR_CODES).toContain(`${service}_error`);
  });

  it.each([
    ['stripe_resource_missing', 'resource_missing'],
    ['stripe_card_declined', 'card_declined'],
    ['stripe_api_error', 'api_error'],
    ['stripe_500', '500'],
  ])("explains Stripe's %s by Stripe's own code", (code, stripeCode) => {
    expect(explainCode(code)?.meaning).toContain(stripeCode);
  });

  it('explains the rate-limit codes specifically, not as a generic Stripe failure', () => {
    expect(explainCode('stripe_rate_limit')?.meaning).toContain('rate limit');
    expect(explainCode('stripe_queue_timeout')?.meaning).toContain('budget');
  });

  it('has no explanation for a code the pipeline never writes', () => {
    expect(explainCode('no_such_code')).toBeNull();
    expect(explainCode('toString')).toBeNull();
    expect(explainCode('__proto__')).toBeNull();
  });
});
