#!/usr/bin/env node
// Operator CLI entry. Runs the TypeScript sources through tsx so `npx driftcontrol` works right after
// `npm ci`, with no build step to forget. The local cloud's commands (run-local, stack, mirror) are
// loaded only when invoked: a production install (`npm ci --omit=dev`) has no local cloud.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/cli/main.ts');
const code = await main(process.argv, { loadLocalCommands: () => import('../local/cli/index.ts') });
// Google clients keep sockets open; a command is done when its output is flushed, so exit explicitly
// (run-local never gets here while it keeps the stack up).
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
