import { HttpError, type HttpRequestRecord, type JsonRequest, JsonServer } from '../http.js';
import { type ZoneRecord, type ZoneSeed, ZoneTable } from '../zones.js';

/**
 * Local subs-api: the source of truth for a zone's plan level (read-only API).
 *
 *   GET /v1/zones/:zoneId                -> 200 ZoneRecord | 404 zone_not_found
 *   GET /v1/accounts/:accountId/zones    -> 200 { accountId, zones: ZoneRecord[] } (empty list if none)
 *
 * Admin (tests, seeding): POST /_admin/seed (ZoneSeed), POST /_admin/reset, GET /_admin/zones.
 * Contract: docs/local-stack.md.
 */
export interface LocalSubsApiOptions {
  port?: number;
  seed?: ZoneSeed;
  now?: () => Date;
}

const SEGMENT = '([A-Za-z0-9._:-]+)';

export function adminRoutes(
  table: ZoneTable,
  req: JsonRequest,
): { status?: number; body: unknown } | undefined {
  const path = req.url.pathname;
  if (!path.startsWith('/_admin/')) return undefined;
  if (path === '/_admin/seed' && req.method === 'POST') {
    try {
      return { body: table.seed(req.body as ZoneSeed) };
    } catch (err) {
      throw new HttpError(400, 'invalid_seed', (err as Error).message);
    }
  }
  if (path === '/_admin/reset' && req.method === 'POST') {
    table.reset();
    return { body: { ok: true } };
  }
  if (path === '/_admin/zones' && req.method === 'GET') return { body: { zones: table.all() } };
  throw new HttpError(404, 'not_found', `unknown admin endpoint ${req.method} ${path}`);
}

export class LocalSubsApi {
  readonly zones: ZoneTable;
  private readonly http: JsonServer;

  constructor(options: LocalSubsApiOptions = {}) {
    this.zones = new ZoneTable(options.now);
    if (options.seed) this.zones.seed(options.seed);
    this.http = new JsonServer((req) => this.route(req));
  }

  private route(req: JsonRequest): { status?: number; body: unknown } {
    const admin = adminRoutes(this.zones, req);
    if (admin) return admin;
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

  async listen(port = 0): Promise<this> {
    await this.http.listen(port);
    return this;
  }

  get url(): string {
    return this.http.url;
  }

  requests(): HttpRequestRecord[] {
    return [...this.http.log];
  }

  seed(seed: ZoneSeed): { zones: number } {
    return this.zones.seed(seed);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }
}

export async function startLocalSubsApi(options: LocalSubsApiOptions = {}): Promise<LocalSubsApi> {
  return new LocalSubsApi(options).listen(options.port ?? 0);
}
