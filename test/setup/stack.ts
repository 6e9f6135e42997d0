import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { useEmulators } from './emulators.js';

/**
 * The local stack for one test file: the global setup's emulators (waited for) plus this file's own
 * local Stripe, subs-api and www (fast, in-process, isolated from other files). Call `stop()` in afterAll;
 * it leaves the shared emulators running. Use a project id of your own (`uniqueProjectId`).
 */
export async function startTestStack(
  options: Omit<LocalStackOptions, 'emulators' | 'existingEmulators'> = {},
): Promise<LocalStack> {
  const hosts = await useEmulators();
  return startLocalStack({ ...options, emulators: false, existingEmulators: hosts });
}
