import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (docs/support.md, "Tested in a real browser"): playwright's
 * own browser download cannot work on these machines; `.ci/run` installs the `chromium` package. Headless,
 * no sandbox (CI runs as root), and no background networking (the machine's network is closed: without
 * these flags Chromium keeps trying Google's hosts). playwright's launch() gives every browser a fresh,
 * empty temporary profile of its own (it refuses a --user-data-dir argument) and removes it on close.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
    },
  };
}
