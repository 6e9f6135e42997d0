import { describe, expect, it } from 'vitest';
import {
  accountIdsIn,
  CLOUDFLARE_ACCOUNT_ID,
  mergeAccountIds,
  SYNTHETIC_ACCOUNT_ID,
} from '../../../shared/tickets/account-ids.js';

const HEX = '0123456789abcdef0123456789abcdef';

describe('accountIdsIn', () => {
  it.each([
    [
      'synthetic ids in prose',
      'Escalating acc_0015092 and acc_0000917.',
      SYNTHETIC_ACCOUNT_ID,
      ['acc_0015092', 'acc_0000917'],
    ],
    ['synthetic: 6 or 8 digits are not ids', 'acc_001509 acc_00150921', SYNTHETIC_ACCOUNT_ID, []],
    ['synthetic: no match inside a longer word', 'xacc_0015092', SYNTHETIC_ACCOUNT_ID, []],
    ['cloudflare: 32 lowercase hex', `account ${HEX}, zone elsewhere`, CLOUDFLARE_ACCOUNT_ID, [HEX]],
    ['cloudflare: 31 or 33 characters are not ids', `${HEX.slice(1)} ${HEX}0`, CLOUDFLARE_ACCOUNT_ID, []],
    ['cloudflare: upper case is not an id', HEX.toUpperCase(), CLOUDFLARE_ACCOUNT_ID, []],
    [
      'a pattern without the global flag still finds every match',
      'acc_1 acc_2',
      /acc_\d/,
      ['acc_1', 'acc_2'],
    ],
    ['the pattern keeps its own flags', 'ACC_1 acc_2', /acc_\d/i, ['ACC_1', 'acc_2']],
  ])('%s', (_, text, pattern, expected) => {
    expect(accountIdsIn(text, pattern)).toEqual(expected);
  });
});

describe('mergeAccountIds', () => {
  it('merges the field with every text, deduplicated and sorted', () => {
    const merged = mergeAccountIds(
      ['acc_0000009', 'acc_0000001'],
      ['Cx acc_0000005 (also acc_0000001)', 'moved from acc_0000005 to acc_0000002'],
      SYNTHETIC_ACCOUNT_ID,
    );
    expect(merged).toEqual(['acc_0000001', 'acc_0000002', 'acc_0000005', 'acc_0000009']);
  });

  it('keeps field ids as they are, whatever the pattern', () => {
    expect(mergeAccountIds(['legacy-42'], ['no ids here'], SYNTHETIC_ACCOUNT_ID)).toEqual(['legacy-42']);
  });

  it('is empty for a ticket naming no account', () => {
    expect(mergeAccountIds([], ['', 'nothing'], CLOUDFLARE_ACCOUNT_ID)).toEqual([]);
  });
});
