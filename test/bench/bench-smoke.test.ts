import { describe, expect, it, vi } from 'vitest';
import { benchWarehouse } from '../../bench/warehouse.js';

describe('bench/warehouse.ts', () => {
  it('runs small and reports a ratio against the bare scan', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const r = await benchWarehouse({ accounts: 60, rounds: 1, seed: 1 });
      expect(r.ratio).toBeGreaterThan(0);
      expect(r.scanMs).toBeGreaterThan(0);
      // The floor really joins: live items reach accounts and most pair with their OPE item.
      expect(r.floorRow?.live_item_rows).toBeGreaterThan(0);
      expect(r.floorRow?.paired_with_ope).toBeGreaterThan((r.floorRow?.live_item_rows ?? 0) / 2);
      expect(r.floorRow?.paired_with_ope).toBeLessThanOrEqual(r.floorRow?.live_item_rows ?? 0);
      expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/ratio .* \(target <= 3\)/);
      expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/relational floor .* x the floor/);
    } finally {
      log.mockRestore();
    }
  }, 60_000);
});
