import { describe, expect, it } from 'vitest';
import { type AtomDriftRow, atomSentence, renderDigest, sparkline } from '../../../shared/tickets/digest.js';

const atom = (over: Partial<AtomDriftRow>): AtomDriftRow => ({
  week: '2026-11-16',
  atom: 'entitlement-drift',
  molecule: 'reconciliation',
  tickets: 6,
  tickets_naming_accounts: 5,
  accounts_named: 5,
  accounts_new_drift: 4,
  accounts_heal_attempted: 4,
  accounts_heal_applied: 1,
  accounts_heal_blocked: 3,
  top_blocking_restriction: 'InvoiceDateTooNear',
  top_blocking_restriction_accounts: 3,
  ...over,
});

describe('atomSentence', () => {
  it.each([
    [
      'drift, heals applied and blocked, the restriction named',
      {},
      'entitlement-drift: 6 tickets, 4 of 5 named accounts had new drift in the 14 days before, 1 healed, 3 blocked (most by InvoiceDateTooNear: 3)',
    ],
    ['no account named', { accounts_named: 0, tickets: 1 }, 'entitlement-drift: 1 ticket, no account named'],
    [
      'drift but no heal attempted',
      { accounts_heal_attempted: 0, accounts_heal_applied: 0, accounts_heal_blocked: 0 },
      'entitlement-drift: 6 tickets, 4 of 5 named accounts had new drift in the 14 days before, no heal attempted',
    ],
  ])('%s', (_name, over, sentence) => {
    expect(atomSentence(atom(over))).toBe(sentence);
  });
});

describe('renderDigest', () => {
  const weeks = ['2026-11-02', '2026-11-09', '2026-11-16'];
  const digest = renderDigest({
    week: '2026-11-16',
    taxonomyVersion: 'v6',
    weeks,
    molecules: ['reconciliation', 'payment-loop'],
    weekly: [
      {
        week: '2026-11-16',
        molecule: 'reconciliation',
        tickets: 6,
        week_tickets: 10,
        share: 0.6,
        classification_rate: 0.9,
        prev_4w_avg: 2,
        prev_26w_avg: 2.5,
        delta_vs_4w: 4,
      },
      {
        week: '2026-11-16',
        molecule: 'unclassified',
        tickets: 1,
        week_tickets: 10,
        share: 0.1,
        classification_rate: 0.9,
        prev_4w_avg: 0,
        prev_26w_avg: 0,
        delta_vs_4w: 1,
      },
      {
        week: '2026-11-09',
        molecule: 'reconciliation',
        tickets: 2,
        week_tickets: 2,
        share: 1,
        classification_rate: 1,
        prev_4w_avg: null,
        prev_26w_avg: null,
        delta_vs_4w: null,
      },
    ],
    atoms: [atom({})],
    unclassified: [{ key: 'BILL-7', summary: 'hola | necesito ayuda', reason: 'non_english', confidence: 0 }],
  });

  it('says the week, its classification rate and each molecule with its trend', () => {
    expect(digest).toContain('# Ticket digest — week of 2026-11-16 (taxonomy v6)');
    expect(digest).toContain('10 tickets this week; 90.0% classified.');
    expect(digest).toContain('| reconciliation | 6 | +4.0 vs 4-week avg 2.0 | 2.5 |');
    expect(digest).toContain('| payment-loop | 0 | no earlier weeks | — |');
  });

  it('charts the window, lists the per-atom drift sentence and the unclassified tickets to read', () => {
    expect(digest).toContain('  line [0, 2, 6]');
    expect(digest).toContain('- entitlement-drift: 6 tickets, 4 of 5 named accounts had new drift');
    expect(digest).toContain('- BILL-7 (non_english, best guess 0.0%): hola   necesito ayuda');
  });

  it('draws a sparkline scaled to the largest week', () => {
    expect(sparkline([0, 2, 6])).toBe('▁▃█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});
