#!/usr/bin/env node
// Operator CLI entry. Runs the TypeScript sources through tsx so `npx driftcontrol` works right after
// `npm ci`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/cli/main.ts');
process.exitCode = await main(process.argv);
