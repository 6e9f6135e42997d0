// console: HTTP, for people, behind Identity-Aware Proxy. Read-only pages that say why remediation did or
// did not fire (docs/support.md). Decode the request, run the core, map the result (shared/runtime/handlers.ts).
import * as ff from '@google-cloud/functions-framework';
import { supportConsoleHttp } from '../../shared/runtime/handlers.js';

ff.http('supportConsole', supportConsoleHttp);
