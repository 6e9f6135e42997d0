import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';

/**
 * Every HTTP error a function answers is JSON without internals. functions-framework parses request
 * bodies in its own middleware, before any function runs, and hands a parse error (invalid JSON, a body
 * over the limit) to Express's default final handler, which answers an HTML page carrying the stack trace
 * and file paths. There is no hook for an error handler of our own, so this replaces that final handler:
 * the same Express instance functions-framework uses (package.json pins it to functions-framework's
 * version, deduplicated) gets a final handler that answers
 *   { "error": { "code": "invalid_request" | "not_found" | "internal", "message": "…" } }
 * and logs nothing of the body. Installed once, by the module of every HTTP function.
 */

export interface JsonErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** The answer for an error that reached the final handler; pure, for the tests. */
export function jsonErrorOf(error: unknown): { status: number; body: JsonErrorBody } {
  if (error === undefined || error === null) {
    return { status: 404, body: { error: { code: 'not_found', message: 'no such route' } } };
  }
  const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // body-parser's own types say what was wrong without quoting the body.
    const message =
      e.type === 'entity.parse.failed'
        ? 'the request body is not valid JSON'
        : e.type === 'entity.too.large'
          ? 'the request body is too large'
          : e.type === 'encoding.unsupported' || e.type === 'charset.unsupported'
            ? 'the request body has an unsupported encoding'
            : 'the request is not valid';
    return { status, body: { error: { code: 'invalid_request', message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

let installed = false;

export function installJsonErrors(): void {
  if (installed) return;
  installed = true;
  const app = express.application as unknown as {
    handle(req: IncomingMessage, res: ServerResponse, callback?: (err?: unknown) => void): void;
  };
  const handle = app.handle;
  app.handle = function handleWithJsonErrors(req, res, callback) {
    const final =
      callback ??
      ((err?: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const { status, body } = jsonErrorOf(err);
        res.statusCode = status;
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.end(JSON.stringify(body));
      });
    return handle.call(this, req, res, final);
  };
}
