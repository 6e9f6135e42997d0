/**
 * The accounts a ticket is about: the ids in its account field plus the ids its text names (agents paste
 * them into summaries and descriptions more often than they fill the field). The id format is passed in,
 * because it differs between production and the local synthetic world.
 */

/** Production: a Cloudflare account id, 32 lowercase hex characters. */
export const CLOUDFLARE_ACCOUNT_ID = /\b[0-9a-f]{32}\b/;

/** The local synthetic world: `acc_` and 7 digits. */
export const SYNTHETIC_ACCOUNT_ID = /\bacc_\d{7}\b/;

/** Every match of `pattern` in `text`. The pattern's own flags are kept; the global flag is added. */
export function accountIdsIn(text: string, pattern: RegExp): string[] {
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  return [...text.matchAll(global)].map((m) => m[0]);
}

/** The ticket's own ids merged with those named in its text: deduplicated and sorted. */
export function mergeAccountIds(
  fieldIds: readonly string[],
  texts: readonly string[],
  pattern: RegExp,
): string[] {
  const all = new Set(fieldIds);
  for (const text of texts) for (const id of accountIdsIn(text, pattern)) all.add(id);
  return [...all].sort();
}
