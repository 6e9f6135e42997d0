// Serves one function in its own process, as Cloud Functions does: the deps come from the environment
// through the adapter factory (shared/runtime/deps.ts), the port from PORT. Used by the local runner's
// process mode (the pipeline benchmark measures each function's memory this way).
//   PORT=8081 npx tsx local/run/serve-function.ts gather
import type { AddressInfo } from 'node:net';
import { FUNCTIONS } from '../../shared/contracts/topology.js';

const name = process.argv[2];
const fn = FUNCTIONS.find((f) => f.name === name);
if (!fn) {
  console.error(
    `serve-function: unknown function "${name}" (one of ${FUNCTIONS.map((f) => f.name).join(', ')})`,
  );
  process.exit(1);
}
await import(`../../functions/${fn.name}/index.js`);
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
const server = getTestServer(fn.entryPoint);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
