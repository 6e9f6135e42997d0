// classify-tickets: HTTP, called weekly by Cloud Scheduler (OIDC), and by operators for a week or a backfill.
// Decode the request, run the core, map the result (shared/runtime/handlers.ts).
import * as ff from '@google-cloud/functions-framework';
import { classifyTicketsHttp } from '../../shared/runtime/handlers.js';

ff.http('classifyTickets', classifyTicketsHttp);
