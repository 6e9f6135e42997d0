/**
 * insertAll's de-duplication by `insertId`, best-effort as BigQuery's: an id is remembered per table only
 * once its row is stored, and only for a window (BigQuery documents "at least one minute"; default 60 s).
 * A window of 0 remembers nothing, so tests can make the duplicates a production retry can make.
 */

/** BigQuery keeps insertIds for at least a minute. */
export const DEFAULT_INSERT_ID_WINDOW_MS = 60_000;

export class InsertIdWindow {
  /** Per table: insertId -> when its row was stored (ms). Insertion order is time order. */
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(
    /** How long an insertId suppresses a repeat, in ms; 0 turns de-duplication off. */
    public windowMs: number = DEFAULT_INSERT_ID_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when a row with this insertId was stored in `table` within the window. */
  has(table: string, insertId: string): boolean {
    if (this.windowMs <= 0) return false;
    this.expire(table);
    return this.seen.get(table)?.has(insertId) ?? false;
  }

  /** Records the insertIds of rows just stored (call only after they were). */
  remember(table: string, insertIds: readonly string[]): void {
    if (this.windowMs <= 0 || insertIds.length === 0) return;
    const ids = this.seen.get(table) ?? new Map<string, number>();
    this.seen.set(table, ids);
    const at = this.now();
    for (const id of insertIds) {
      // Re-inserting keeps time order, so expire() can stop at the first fresh entry.
      ids.delete(id);
      ids.set(id, at);
    }
  }

  /** Forgets a table's ids (the table was dropped). */
  forget(table: string): void {
    this.seen.delete(table);
  }

  private expire(table: string): void {
    const ids = this.seen.get(table);
    if (!ids) return;
    const cutoff = this.now() - this.windowMs;
    for (const [id, at] of ids) {
      if (at > cutoff) break;
      ids.delete(id);
    }
    if (ids.size === 0) this.seen.delete(table);
  }
}
