import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { spawnPersona, type PersonaProcess } from '../helpers/persona-process.js';

/** Debian's chromium (`npm test` installs it or names it); playwright-core drives it, nothing is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** A headless chromium for `t`, closed when it ends; the head unit's 1280×720 screen. */
export async function openPage(t: Test): Promise<Page> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (npm test installs it or names it)`);
  // Chromium refuses to run as root with its sandbox on.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.setDefaultTimeout(30_000);
  return page;
}

/** `persona run` with its dashboard on `http` (the next free port is taken if that one is not); resolves with its URL. */
export async function startDashboard(t: Test, args: string[], files: Record<string, string> = {}): Promise<{ persona: PersonaProcess; url: string }> {
  const persona = spawnPersona(t, ['run', ...args], files);
  const line = await persona.waitForLine(/^persona: dashboard http:\/\//);
  return { persona, url: line.slice('persona: dashboard '.length) };
}

/** The page's document, as the functions run in the browser see it (the project compiles without DOM types). */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
}

/** Waits until the element's text matches (the function runs in the page, so it names nothing of this module). */
export async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(([s, source, flags]) => new RegExp(source, flags).test((globalThis as unknown as { document: PageDocument }).document.querySelector(s)?.textContent ?? ''), [selector, pattern.source, pattern.flags] as const, { polling: 50 });
  return (await page.textContent(selector)) ?? '';
}

/** Waits until the attribute of the element matches, then returns it: each part of the page renders in its own time. */
export async function waitForAttribute(page: Page, selector: string, attribute: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(([s, a, source, flags]) => new RegExp(source, flags).test((globalThis as unknown as { document: PageDocument }).document.querySelector(s)?.getAttribute(a) ?? ''), [selector, attribute, pattern.source, pattern.flags] as const, { polling: 50 });
  return (await page.getAttribute(selector, attribute)) ?? '';
}
