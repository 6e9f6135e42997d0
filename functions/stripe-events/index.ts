// stripe-events: HTTP, called by Stripe's webhooks (public: the signature check is the lock).
// Decode the request, run the core, map the result (shared/runtime/handlers.ts).
import * as ff from '@google-cloud/functions-framework';
import { stripeEventsHttp } from '../../shared/runtime/handlers.js';

ff.http('stripeEvents', stripeEventsHttp);
