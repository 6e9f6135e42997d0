import { z } from 'zod';
import { HttpError, type JsonRequest } from '../http.js';
import { PlanLevelSchema, type ZoneRecord, type ZoneSeed } from './table.js';
import { LocalZoneService, type RouteResult, type ZoneServiceOptions } from './zone-service.js';

/**
 * Local www: the website database's view of a zone's plan level, written by the WWW resync.
 *
 *   GET /v1/zones/:zoneId              -> 200 ZoneRecord | 404 zone_not_found
 *   PUT /v1/zones/:zoneId/plan-level   body { planLevel, expectedPlanLevel }
 *     -> 200 { ...ZoneRecord, changed: true }   when the level was expectedPlanLevel and is now planLevel
 *     -> 200 { ...ZoneRecord, changed: false }  when the level already is planLevel (a repeated write)
 *     -> 409 plan_level_conflict                when the level is neither: a concurrent change is refused
 *     -> 404 zone_not_found, 400 invalid_request
 *
 * Admin: POST /_admin/seed (ZoneSeed), POST /_admin/reset, GET /_admin/zones. Contract: docs/local-stack.md.
 */
export type LocalWwwOptions = ZoneServiceOptions;

export const PlanLevelWriteSchema = z.strictObject({
  planLevel: PlanLevelSchema,
  expectedPlanLevel: PlanLevelSchema,
});
export type PlanLevelWrite = z.infer<typeof PlanLevelWriteSchema>;

export interface PlanLevelWriteResult extends ZoneRecord {
  changed: boolean;
}

const SEGMENT = '([A-Za-z0-9._:-]+)';

export class LocalWww extends LocalZoneService {
  constructor(options: LocalWwwOptions = {}) {
    super(options);
    if (options.seed) this.seed(options.seed);
  }

  seed(seed: ZoneSeed): { zones: number } {
    return this.zones.seed(seed);
  }

  protected route(req: JsonRequest): RouteResult {
    const path = req.url.pathname;
    const read = new RegExp(`^/v1/zones/${SEGMENT}$`).exec(path);
    if (read && req.method === 'GET') return { body: this.zone(read[1] as string) };
    const write = new RegExp(`^/v1/zones/${SEGMENT}/plan-level$`).exec(path);
    if (write && req.method === 'PUT') {
      const parsed = PlanLevelWriteSchema.safeParse(req.body);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
        throw new HttpError(400, 'invalid_request', `Invalid plan-level write: ${issues.join('; ')}`, {
          issues,
        });
      }
      return { body: this.writePlanLevel(write[1] as string, parsed.data) };
    }
    if (read || write)
      throw new HttpError(405, 'method_not_allowed', `${req.method} ${path} is not supported`);
    throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}`);
  }

  private zone(zoneId: string): ZoneRecord {
    const record = this.zones.get(zoneId);
    if (!record)
      throw new HttpError(404, 'zone_not_found', `Zone ${zoneId} does not exist in www.`, { zoneId });
    return record;
  }

  /** The conditional write, also callable in-process. Throws HttpError 404/409 like the HTTP API. */
  writePlanLevel(zoneId: string, write: PlanLevelWrite): PlanLevelWriteResult {
    const current = this.zone(zoneId);
    if (current.planLevel === write.planLevel) return { ...current, changed: false };
    if (current.planLevel !== write.expectedPlanLevel) {
      throw new HttpError(
        409,
        'plan_level_conflict',
        `Zone ${zoneId} has plan level ${current.planLevel}, not the expected ${write.expectedPlanLevel}: refusing to overwrite a concurrent change.`,
        { zoneId, currentPlanLevel: current.planLevel, expectedPlanLevel: write.expectedPlanLevel },
      );
    }
    return { ...this.zones.set(zoneId, write.planLevel), changed: true };
  }
}

export async function startLocalWww(options: LocalWwwOptions = {}): Promise<LocalWww> {
  return new LocalWww(options).listen(options.port ?? 0);
}
