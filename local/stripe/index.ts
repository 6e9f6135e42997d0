export { ENDPOINTS } from './api.js';
export { DASHBOARD_PATH } from './dashboard.js';
export { StripeApiError, type StripeErrorBody } from './errors.js';
export { LIVE_MODE_LIMIT, type RateLimit, TEST_MODE_LIMIT } from './rate-limiter.js';
export { addInterval } from './records.js';
export type { Wire } from './render.js';
export * from './seed.js';
export {
  type FaultHandle,
  type FaultKind,
  type FaultRule,
  LOCAL_STRIPE_API_VERSION,
  type LocalStripeClientConfig,
  type LocalStripeOptions,
  LocalStripeServer,
  type RequestFilter,
  type StripeRequestRecord,
  startLocalStripe,
} from './server.js';
export { type StoreSnapshot, StripeStore } from './store.js';
export {
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEvent,
  WebhookSender,
} from './webhooks.js';
