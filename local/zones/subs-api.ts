import { HttpError, type JsonRequest } from '../http.js';
import type { ZoneRecord } from './table.js';
import { LocalZoneService, type RouteResult, type ZoneServiceOptions } from './zone-service.js';

/**
 * Local subs-api: the source of truth for a zone's plan level (read-only API).
 *
 *   GET /v1/zones/:zoneId                -> 200 ZoneRecord | 404 zone_not_found
 *   GET /v1/accounts/:accountId/zones    -> 200 { accountId, zones: ZoneRecord[] } (empty list if none)
 *
 * Admin (tests, seeding): POST /_admin/seed (ZoneSeed), POST /_admin/reset, GET /_admin/zones.
 * Contract: docs/local-stack.md.
 */
export type LocalSubsApiOptions = ZoneServiceOptions;

const SEGMENT = '([A-Za-z0-9._:-]+)';

export { adminRoutes } from './zone-service.js';

export class LocalSubsApi extends LocalZoneService {
  protected route(req: JsonRequest): RouteResult {
    const path = req.url.pathname;
    if (req.method !== 'GET')
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not supported by subs-api`);
    const zone = new RegExp(`^/v1/zones/${SEGMENT}$`).exec(path);
    if (zone) {
      const zoneId = zone[1] as string;
      const record = this.zones.get(zoneId);
      if (!record)
        throw new HttpError(404, 'zone_not_found', `Zone ${zoneId} does not exist in subs-api.`, { zoneId });
      return { body: record satisfies ZoneRecord };
    }
    const account = new RegExp(`^/v1/accounts/${SEGMENT}/zones$`).exec(path);
    if (account) {
      const accountId = account[1] as string;
      return { body: { accountId, zones: this.zones.byAccount(accountId) } };
    }
    throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}`);
  }
}

export async function startLocalSubsApi(options: LocalSubsApiOptions = {}): Promise<LocalSubsApi> {
  return new LocalSubsApi(options).listen(options.port ?? 0);
}
