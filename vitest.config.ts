import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: keep parallelism modest so emulator-backed suites are not starved.
    maxWorkers: 2,
    // Spawns the Pub/Sub and Firestore emulators once per run (not awaited; see the file).
    globalSetup: ['test/setup/global-setup.ts'],
  },
});
