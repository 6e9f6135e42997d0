import { z } from 'zod';

/** Zone plan levels, lowest to highest. */
export const PLAN_LEVELS = ['free', 'pro', 'business', 'enterprise'] as const;
export const PlanLevelSchema = z.enum(PLAN_LEVELS);
export type PlanLevel = z.infer<typeof PlanLevelSchema>;

/** A zone as subs-api and www both describe it. `updatedAt` is an ISO-8601 UTC timestamp. */
export interface ZoneRecord {
  zoneId: string;
  accountId: string;
  planLevel: PlanLevel;
  updatedAt: string;
}

/**
 * Seed of the local subs-api and www services (the same format for both): plain data. `updatedAt`
 * defaults to the seeding time.
 */
export const ZoneSeedSchema = z.strictObject({
  zones: z.array(
    z.strictObject({
      zoneId: z.string().min(1),
      accountId: z.string().min(1),
      planLevel: PlanLevelSchema,
      updatedAt: z.iso.datetime().optional(),
    }),
  ),
});
export type ZoneSeed = z.input<typeof ZoneSeedSchema>;

/** A zod error as one line: `path: message; ...` (seed and request errors of the local services). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Zones held in memory, keyed by zone id; seeding validates the whole seed before changing anything. */
export class ZoneTable {
  private zones = new Map<string, ZoneRecord>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  seed(input: ZoneSeed): { zones: number } {
    const parsed = ZoneSeedSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(`invalid zone seed: ${describeIssues(parsed.error)}`);
    }
    const at = this.now().toISOString();
    const next = new Map(this.zones);
    for (const z of parsed.data.zones) {
      next.set(z.zoneId, {
        zoneId: z.zoneId,
        accountId: z.accountId,
        planLevel: z.planLevel,
        updatedAt: z.updatedAt ?? at,
      });
    }
    this.zones = next;
    return { zones: parsed.data.zones.length };
  }

  reset(): void {
    this.zones.clear();
  }

  get(zoneId: string): ZoneRecord | undefined {
    const z = this.zones.get(zoneId);
    return z ? { ...z } : undefined;
  }

  byAccount(accountId: string): ZoneRecord[] {
    return [...this.zones.values()]
      .filter((z) => z.accountId === accountId)
      .sort((a, b) => (a.zoneId < b.zoneId ? -1 : 1))
      .map((z) => ({ ...z }));
  }

  all(): ZoneRecord[] {
    return [...this.zones.values()].map((z) => ({ ...z }));
  }

  set(zoneId: string, planLevel: PlanLevel): ZoneRecord {
    const current = this.zones.get(zoneId);
    if (!current) throw new Error(`unknown zone ${zoneId}`);
    const next = { ...current, planLevel, updatedAt: this.now().toISOString() };
    this.zones.set(zoneId, next);
    return { ...next };
  }
}
