import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** Debian's Chromium (`apt-get install -y chromium`); never a downloaded browser. */
export const CHROMIUM = process.env['BATON_CHROMIUM'] ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, without the background traffic a test does not want. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Chromium for the dashboard tests of the `describe` this is called in: launched before them,
 * closed after them, and after each test none of its pages may have had a script error. Returns
 * how to open a page, the size the dashboard tests use.
 */
export function useDashboardBrowser(): () => Promise<Page> {
  let browser: Browser | undefined;
  const errors: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });
  return async () => {
    if (!browser) throw new Error('Chromium is not launched: open pages inside the tests of the describe that called useDashboardBrowser');
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    return page;
  };
}
