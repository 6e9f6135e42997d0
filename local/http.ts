import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, LOOPBACK, listenOnLoopback } from './net.js';

/** Error envelope of the local subs-api and www services: `{ "error": { "code", "message", ... } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface JsonRequest {
  method: string;
  url: URL;
  /** Parsed JSON body (undefined when empty). Invalid JSON is answered with 400 before handlers run. */
  body: unknown;
}

export interface HttpRequestRecord {
  seq: number;
  method: string;
  path: string;
  status: number;
  timestamp: number;
}

export type JsonHandler = (
  req: JsonRequest,
) => { status?: number; body: unknown } | Promise<{ status?: number; body: unknown }>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A tiny JSON-over-HTTP server on loopback with a request log. */
export class JsonServer {
  private readonly server: Server;
  private port = 0;
  private seq = 0;
  readonly log: HttpRequestRecord[] = [];

  constructor(private readonly handler: JsonHandler) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: HttpRequestRecord = {
      seq: ++this.seq,
      method,
      path: url.pathname,
      status: 0,
      timestamp: Date.now(),
    };
    if (!url.pathname.startsWith('/_admin/')) this.log.push(record);
    const send = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const text = await readBody(req);
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
        }
      }
      const out = await this.handler({ method, url, body });
      send(out.status ?? 200, out.body);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.status, { error: { code: err.code, message: err.message, ...err.details } });
      } else {
        send(500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
      }
    }
  }

  async listen(port = 0): Promise<this> {
    this.port = await listenOnLoopback(this.server, port);
    return this;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}
