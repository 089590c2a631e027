import { existsSync } from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (browser downloads fail here; `.ci/run` installs
 * the `chromium` package when it is missing). The flags are the ones this machine needs: no
 * sandbox as root, and no background networking (the closed network refuses it, noisily).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium), as .ci/run does, or set CHROMIUM_PATH.`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};

/** Every error the page logs or throws, for the test's "no console errors" check. */
export const collectErrors = (page: Page): string[] => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return errors;
};
