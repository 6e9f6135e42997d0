// event-sweeper: HTTP, called every minute by Cloud Scheduler (OIDC).
// Decode the request, run the core, map the result (shared/runtime/handlers.ts).
import * as ff from '@google-cloud/functions-framework';
import { eventSweeperHttp } from '../../shared/runtime/handlers.js';

ff.http('eventSweeper', eventSweeperHttp);
