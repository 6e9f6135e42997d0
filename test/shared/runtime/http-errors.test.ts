import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDepsProvider } from '../../../shared/runtime/deps.js';
import { jsonErrorOf } from '../../../shared/runtime/json-errors.js';
import { fakeDeps } from '../../support/fakes.js';

/**
 * Every HTTP error is JSON without internals (issue 15): detect-drift served by functions-framework over
 * real HTTP, answering bad bodies, bad requests and failures of its own.
 */

let server: Server;
let url: string;
beforeAll(async () => {
  setDepsProvider(async () => fakeDeps().deps);
  await import('../../../functions/detect-drift/index.js');
  server = getTestServer('detectDrift');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  setDepsProvider(null);
  await new Promise((r) => server.close(r));
});

const post = async (body: string, contentType = 'application/json') => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('detect-drift answers every error as JSON without internals', () => {
  it.each([
    ['invalid JSON', '{"system": ', 400, 'invalid_request', /not valid JSON/],
    ['an unknown system', '{"system": "ledger"}', 400, 'invalid_request', /system/],
    [
      'a bad snapshot date',
      '{"system": "stripe", "snapshotDate": "yesterday"}',
      400,
      'invalid_request',
      /snapshotDate/,
    ],
  ])('%s', async (_case, body, status, code, message) => {
    const r = await post(body);
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/json/);
    const json = JSON.parse(r.text) as { error: { code: string; message: string } };
    expect(json.error.code).toBe(code);
    expect(json.error.message).toMatch(message);
    expect(r.text).not.toMatch(/node_modules|\/work\/|at [A-Za-z]+ \(/);
  });

  it('a failure of its own: 500, JSON, no message, no path', async () => {
    setDepsProvider(async () => {
      throw new Error('GOOGLE_CLOUD_PROJECT missing at /srv/secret/path');
    });
    try {
      const r = await post('{"system": "stripe"}');
      expect(r.status).toBe(500);
      expect(JSON.parse(r.text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
      expect(r.text).not.toContain('/srv/secret');
    } finally {
      setDepsProvider(async () => fakeDeps().deps);
    }
  });
});

describe('jsonErrorOf', () => {
  it.each([
    [undefined, 404, 'not_found'],
    [{ status: 400, type: 'entity.parse.failed', body: '{secret' }, 400, 'invalid_request'],
    [{ statusCode: 413, type: 'entity.too.large' }, 413, 'invalid_request'],
    [new Error('boom at /x/y.js:1'), 500, 'internal'],
  ])('%j -> %i %s', (error, status, code) => {
    const r = jsonErrorOf(error);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect(JSON.stringify(r.body)).not.toMatch(/secret|\/x\/y/);
  });
});
