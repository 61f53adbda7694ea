/** Headless Debian Chromium for scripts and e2e tests (no network chatter, no sandbox). */
import { chromium } from 'playwright-core';
import type { Browser, LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.VISAGE_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

export interface LaunchChromiumOptions {
  /** Extra command-line switches (e.g. fake camera flags). */
  args?: string[];
  /** Passed through to Playwright. */
  launch?: Omit<LaunchOptions, 'executablePath' | 'args'>;
}

export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    ...options.launch,
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
