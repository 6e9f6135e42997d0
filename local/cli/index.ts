import type { Command } from 'commander';
import type { Out } from '../../shared/cli/io.js';
import { registerConsole } from './console.js';
import { buildMirrorCli } from './mirror.js';
import { registerRunLocal } from './run-local.js';
import { registerStack } from './stack.js';

/**
 * The local cloud's commands, loaded by the operator CLI only when one of them is invoked
 * (shared/cli/local-commands.ts): bin/driftcontrol.mjs hands this module's loader to the CLI, so nothing
 * under shared/ imports local/.
 */

/** A command built on its own, given the root's settings (exit override, stderr) on every level. */
function inherit(cmd: Command, root: Command): Command {
  cmd.copyInheritedSettings(root);
  for (const sub of cmd.commands) inherit(sub, root);
  return cmd;
}

export function registerLocalCommands(program: Command, out: Out): void {
  registerRunLocal(program, out);
  registerStack(program);
  registerConsole(program);
  program.addCommand(inherit(buildMirrorCli(), program));
}
