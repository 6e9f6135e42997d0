import { z } from 'zod';
import type { Endpoint } from './endpoint.js';
import { page } from './lists.js';
import { listParams, parse } from './params.js';
import { renderLine } from './render.js';

/**
 * `GET /v1/invoices/:id/lines` (the SDK's `invoices.listLineItems`): an invoice's lines page by page, in
 * invoice order, with Stripe's list parameters. An invoice itself carries only its first lines inline
 * (render.ts), so a reader of a long invoice must page the rest from here, as against Stripe.
 */
export const invoiceLinesEndpoint: Endpoint = {
  method: 'GET',
  pattern: /^\/v1\/invoices\/([A-Za-z0-9_]+)\/lines$/,
  handler: (store, { params, path }) => {
    const p = parse(z.strictObject(listParams), params);
    const invoice = store.invoice(path[0] as string);
    return page(
      invoice.lines,
      p,
      `/v1/invoices/${invoice.id}/lines`,
      (line) => renderLine(store, invoice, line),
      'line_item',
    );
  },
};
