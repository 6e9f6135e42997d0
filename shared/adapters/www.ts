import { z } from 'zod';
import type { WwwPort, WwwWriteResult, ZoneRecord } from '../ports/index.js';
import { InternalHttp, type InternalHttpOptions } from './internal-http.js';

/**
 * WwwPort over www's HTTP API (the local stand-in, local/zones/www.ts, serves the same):
 *   GET /v1/zones/:zoneId             -> 200 ZoneRecord | 404 zone_not_found
 *   PUT /v1/zones/:zoneId/plan-level  -> 200 ZoneRecord & { changed } | 409 plan_level_conflict | 404
 */

const ConflictBody = z.object({
  error: z.looseObject({ code: z.literal('plan_level_conflict'), currentPlanLevel: z.string().min(1) }),
});

export class WwwClient implements WwwPort {
  private readonly http: InternalHttp;
  constructor(options: InternalHttpOptions) {
    this.http = new InternalHttp('www', options);
  }

  zone(zoneId: string): Promise<ZoneRecord | null> {
    return this.http.zone(zoneId);
  }

  /** Conditional: www refuses (409) when the level is neither the expected one nor already the target. */
  async setPlanLevel(zoneId: string, planLevel: string, expectedPlanLevel: string): Promise<WwwWriteResult> {
    const path = `/v1/zones/${encodeURIComponent(zoneId)}/plan-level`;
    const answer = await this.http.request('PUT', path, { planLevel, expectedPlanLevel });
    if (answer.status === 200) return { status: 'written', zone: this.http.record('PUT', path, answer) };
    if (answer.status === 404 && this.http.errorCode(answer) === 'zone_not_found')
      return { status: 'not_found' };
    if (answer.status === 409) {
      const conflict = ConflictBody.safeParse(answer.body);
      if (conflict.success)
        return { status: 'conflict', currentPlanLevel: conflict.data.error.currentPlanLevel };
    }
    throw this.http.fail('PUT', path, answer);
  }
}
