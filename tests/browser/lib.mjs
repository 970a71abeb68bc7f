// Helpers for the browser stories: Debian's Chromium through playwright-core, people who click
// and type, a full-page screenshot of every page visited, and the checks every page gets.
//
// Environment (set by crates/cli/tests/browser.rs):
//   REDRESS_BASE_URL   the running `redress serve`, e.g. http://127.0.0.1:41234 (required)
//   REDRESS_ARTIFACTS  where screenshots go (default target/browser-artifacts)
//   REDRESS_CHROMIUM   the browser (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const BASE = (process.env.REDRESS_BASE_URL || '').replace(/\/$/, '');
if (!BASE) {
  throw new Error('REDRESS_BASE_URL is not set: these tests are run by `cargo nextest run -p redress-cli --test browser`, which starts the server');
}
export const ARTIFACTS = process.env.REDRESS_ARTIFACTS || path.join(here, '..', '..', 'target', 'browser-artifacts');
export const CHROMIUM = process.env.REDRESS_CHROMIUM || '/usr/bin/chromium';
export const DEMO_PASSWORD = 'redress-demo';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  throw new Error(`playwright-core is not installed in tests/browser/node_modules (${e.message}); run \`npm ci --prefix tests/browser\` (scripts/test.sh does)`);
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (\`apt-get install -y chromium\`; scripts/test.sh does) or set REDRESS_CHROMIUM`);
}

mkdirSync(ARTIFACTS, { recursive: true });

/**
 * Headless Chromium. playwright-core starts it with a fresh `--user-data-dir` of its own (a new
 * temporary profile, deleted on close; it refuses that flag in `args`), so no state is carried
 * between runs. The machine has no internet: the flags below keep Chromium from phoning home.
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
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
    timeout: 60_000,
  });
  return {
    version: browser.version(),
    /** A separate cookie jar: one per person. */
    async newContext(options = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
      ctx.setDefaultTimeout(20_000);
      ctx.setDefaultNavigationTimeout(30_000);
      return ctx;
    },
    close: () => browser.close(),
  };
}

/** Names screenshots `NN-story-step.png` in the order taken, and checks every page it is shown. */
export function story(name) {
  let n = 0;
  return {
    async shot(page, step) {
      n += 1;
      const file = path.join(ARTIFACTS, `${name}-${String(n).padStart(2, '0')}-${step}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
      await assertLabelled(page, `${name} ${step}`);
      return file;
    },
  };
}

/** Clicks something that loads a new document and waits for it. */
export async function clickAndLoad(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

/** Presses a key on the focused element and waits for the document it loads. */
export async function pressAndLoad(page, key) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
}

export async function text(locator) {
  return ((await locator.textContent()) || '').replace(/\s+/g, ' ').trim();
}

/** Every visible form control has a label (a `<label>` with text, or aria-label/-labelledby). */
export async function assertLabelled(page, where) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => {
        const byLabel = el.labels && [...el.labels].some((l) => l.textContent.trim() !== '');
        return !byLabel && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML.slice(0, 160)),
  );
  assert.deepEqual(unlabelled, [], `${where}: form controls without a label`);
}

/** Signs a member of staff in through the login form, in a context of their own. */
export async function staff(b, username, password = DEMO_PASSWORD) {
  const ctx = await b.newContext();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/console`);
  assert.match(new URL(page.url()).pathname, /^\/console\/login/, 'the console asks for a login first');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await clickAndLoad(page, page.getByRole('button', { name: '登录' }));
  assert.equal(new URL(page.url()).pathname, '/console', `${username} reaches the workbench: ${await text(page.locator('main'))}`);
  assert.equal(await text(page.locator('h1')), '工作台');
  return page;
}

/** The status shown on a case page. */
export async function caseStatus(page) {
  return text(page.locator('#case-status'));
}

/** Opens an action's form on the case page, lets `fill` fill it, submits, and checks it was done. */
export async function act(page, key, fill = async () => {}) {
  const form = page.locator(`#action-${key}`);
  assert.equal(await form.count(), 1, `the action ${key} is offered; the page offers: ${await page.locator('details.action summary').allTextContents()}`);
  if (!(await form.evaluate((d) => d.open))) {
    await form.locator('summary').click();
  }
  await fill(form);
  await clickAndLoad(page, form.locator('button[type=submit]'));
  const alerts = await page.locator('[role=alert]').allTextContents();
  assert.deepEqual(alerts, [], `${key}: the page reports a problem`);
  assert.match(await text(page.locator('main [role=status]').first()), /已完成/, `${key}: done`);
}

/** Entries of the case page's timeline, oldest first: [{label, text}]. */
export async function timeline(page) {
  return page.locator('#timeline > li').evaluateAll((lis) => lis.map((li) => ({ label: li.querySelector('b').textContent.trim(), text: li.textContent.replace(/\s+/g, ' ').trim() })));
}

/** Asserts `wanted` occur in `labels` in this order (other entries may come between). */
export function assertInOrder(labels, wanted, what) {
  let i = 0;
  for (const l of labels) {
    if (i < wanted.length && l === wanted[i]) i += 1;
  }
  assert.equal(i, wanted.length, `${what}: expected ${wanted.join(' → ')} in order, got ${labels.join(' → ')}`);
}

/** A workbench section by its heading id, and the table row in it that mentions `needle`. */
export function rowIn(page, headingId, needle) {
  return page.locator(`section[aria-labelledby="${headingId}"] tbody tr`, { hasText: needle });
}

/** Today's date in Beijing, plus `days`, as YYYY-MM-DD (what the server counts in). */
export function beijingDate(days = 0) {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** A short suffix that makes this run's subjects unique. */
export const RUN = Date.now().toString(36).slice(-5).toUpperCase();
