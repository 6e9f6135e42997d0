import { HttpError, type HttpRequestRecord, type JsonRequest, JsonServer } from '../http.js';
import { type ZoneSeed, ZoneTable } from './table.js';

/**
 * What the local subs-api and www share: a zone table, a JSON server, the admin routes, and the
 * lifecycle. Each service adds only its own routes.
 */

export interface ZoneServiceOptions {
  port?: number;
  seed?: ZoneSeed;
  now?: () => Date;
}

export type RouteResult = { status?: number; body: unknown };

/** POST /_admin/seed (ZoneSeed), POST /_admin/reset, GET /_admin/zones. */
export function adminRoutes(table: ZoneTable, req: JsonRequest): RouteResult | undefined {
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

export abstract class LocalZoneService {
  readonly zones: ZoneTable;
  private readonly http: JsonServer;

  constructor(options: ZoneServiceOptions = {}) {
    this.zones = new ZoneTable(options.now);
    if (options.seed) this.zones.seed(options.seed);
    this.http = new JsonServer((req) => adminRoutes(this.zones, req) ?? this.route(req));
  }

  /** The service's own routes (admin routes are answered before these). */
  protected abstract route(req: JsonRequest): RouteResult;

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
