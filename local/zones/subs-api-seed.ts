import { z } from 'zod';
import { AccountSeedEntrySchema } from './accounts.js';
import { ZoneSeedSchema } from './table.js';

/**
 * Seed of the local subs-api: its zones (the format www shares) and its accounts. Both lists are optional
 * and the whole seed is validated before anything changes.
 */
export const SubsApiSeedSchema = z.strictObject({
  zones: ZoneSeedSchema.shape.zones.optional(),
  accounts: z.array(AccountSeedEntrySchema).optional(),
});
export type SubsApiSeed = z.input<typeof SubsApiSeedSchema>;
