import type { FormObject } from './form.js';
import type { StripeStore } from './store.js';

/** One endpoint of the local Stripe API: a method, a path pattern, and the handler that answers it. */
export interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: (store: StripeStore, ctx: RequestContext) => unknown;
}

export interface RequestContext {
  params: FormObject;
  /** Regex captures of the path. */
  path: string[];
}
