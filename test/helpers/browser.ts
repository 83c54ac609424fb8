import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's chromium (scripts/install-chromium.sh); CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Skips the calling suite when Chromium is not installed, unless REQUIRE_BROWSER_TESTS=1 (CI)
 * makes that a failure.
 */
export function requireChromiumOrSkip(context: Mocha.Context): void {
  if (existsSync(chromiumPath)) return;
  if (process.env.REQUIRE_BROWSER_TESTS === '1') throw new Error(`${chromiumPath} is missing and REQUIRE_BROWSER_TESTS=1: run scripts/install-chromium.sh`);
  console.warn(`      skipped: ${chromiumPath} is not installed (run scripts/install-chromium.sh; REQUIRE_BROWSER_TESTS=1 makes this a failure)`);
  context.skip();
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}
