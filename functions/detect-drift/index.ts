// detect-drift: HTTP, called daily by Cloud Scheduler (OIDC) once the mirror has landed.
// Decode the request, run the core, map the result (shared/runtime/handlers.ts).
import * as ff from '@google-cloud/functions-framework';
import { detectDriftHttp } from '../../shared/runtime/handlers.js';

ff.http('detectDrift', detectDriftHttp);
