import { HttpError, type HttpRequestRecord, type JsonRequest, JsonServer } from '../http.js';
import { type ZoneSeed, ZoneTable } from './table.js';

/**
 * What the local subs-api and www share: a zone table, a JSON server, the admin routes, and the
 * lifecycle. Each service adds its own routes, its seed format and any state beyond zones.
 */

export interface ZoneServiceOptions<Seed = ZoneSeed> {
  port?: number;
  seed?: Seed;
  now?: () => Date;
}

export type RouteResult = { status?: number; body: unknown };

export abstract class LocalZoneService<Seed = ZoneSeed> {
  readonly zones: ZoneTable;
  private readonly http: JsonServer;

  constructor(options: ZoneServiceOptions<Seed> = {}) {
    this.zones = new ZoneTable(options.now);
    this.http = new JsonServer((req) => this.adminRoute(req) ?? this.route(req));
  }

  /** The service's own routes (admin routes are answered before these). */
  protected abstract route(req: JsonRequest): RouteResult;

  /** Validates the whole seed, then adds or replaces records by id; throws (changing nothing) if invalid. */
  abstract seed(seed: Seed): Record<string, number>;

  /** Empties every table of the service. */
  reset(): void {
    this.zones.reset();
  }

  /**
   * POST /_admin/seed (400 invalid_seed, nothing changed, when invalid), POST /_admin/reset,
   * GET /_admin/zones. A service with more admin routes extends this.
   */
  protected adminRoute(req: JsonRequest): RouteResult | undefined {
    const path = req.url.pathname;
    if (!path.startsWith('/_admin/')) return undefined;
    if (path === '/_admin/seed' && req.method === 'POST') {
      try {
        return { body: this.seed(req.body as Seed) };
      } catch (err) {
        throw new HttpError(400, 'invalid_seed', (err as Error).message);
      }
    }
    if (path === '/_admin/reset' && req.method === 'POST') {
      this.reset();
      return { body: { ok: true } };
    }
    if (path === '/_admin/zones' && req.method === 'GET') return { body: { zones: this.zones.all() } };
    throw new HttpError(404, 'not_found', `unknown admin endpoint ${req.method} ${path}`);
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

  stop(): Promise<void> {
    return this.http.stop();
  }
}
