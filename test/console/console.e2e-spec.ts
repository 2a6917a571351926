import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CredentialEntity } from '@lintel/domain';
import { sqliteKind } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { addPersonas, addProjects } from '../helpers/personas.js';

// page.evaluate callbacks run in the browser; this Node build has no DOM types.
declare const document: any, navigator: any;

/** Debian's Chromium (`apt-get install chromium`, done by .ci/run); never a downloaded browser. */
const CHROMIUM = process.env.LINTEL_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Where the run leaves its screenshots for a reviewer (docs/console.md, "Screenshots"). */
export const SCREENSHOTS = resolve('test-results/console');
const PW = 'console-browser-pw-1';
const LIMIT = 3;
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for the console tests`);

/** The end-to-end console story in real headless Chromium, driven by playwright-core. */
describe('browser console (Chromium)', { skip: missing ? `${CHROMIUM} not installed (apt-get install chromium)` : false }, () => {
  const ctx = useLintel(sqliteKind(), { LINTEL_CREDENTIAL_USER_LIMIT: String(LIMIT) });
  let h: Harness;
  let browser: Browser;
  let admin: string;
  let p: string;
  const users: Record<string, string> = {};
  /** CSP violations and script errors seen by any page: the console must cause none. */
  const problems: string[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = ctx.h;
    let q: string;
    [p, q] = await addProjects(h, 'analytics', 'billing');
    Object.assign(users, (await addPersonas(h, [['alice', 'member', [p, q]], ['bob', 'member', p], ['carol', 'admin', p]], PW)).users);
    admin = (await issue(h.url, adminProjectAuth())).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
  });

  async function open(o: { width?: number; locale?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: o.width ?? 1280, height: 800 }, locale: o.locale ?? 'en-US', timezoneId: 'Europe/Berlin', acceptDownloads: true,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${h.url}/console/`);
    return { context, page };
  }

  /** Signs in with the keyboard only, then opens the project. */
  async function signIn(page: Page, name: string, password = PW, project = 'analytics'): Promise<void> {
    await page.getByLabel('User name').waitFor();
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    if (!project) return;
    await page.getByLabel('Project', { exact: true }).selectOption({ label: project });
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: 'Access keys' }).waitFor();
  }

  const row = (page: Page, access: string) => page.locator(`tr[data-access="${access}"]`);
  const shot = (page: Page, name: string, mask: string[] = []) =>
    page.screenshot({ path: resolve(SCREENSHOTS, name), fullPage: true, mask: mask.map((s) => page.locator(s)) });

  test('a member signs in, creates a key with an expiry, reads the secret once, then deactivates and deletes it', async () => {
    const { context, page } = await open({ locale: 'de-DE' });
    let token: string | undefined;
    page.on('request', (r) => { token = r.headers()['x-auth-token'] ?? token; });

    // A wrong password is said so on the page.
    await signIn(page, 'alice', 'wrong-password', '');
    await page.getByRole('alert').filter({ hasText: 'password is not correct' }).waitFor();
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'analytics' });
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('No access keys yet.').waitFor();

    const headingBox = await page.getByRole('heading', { name: 'Access keys' }).boundingBox();
    await page.getByRole('button', { name: 'Create access key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create access key' });
    const expiry = new Date(Date.now() + 40 * 86_400_000);
    const day = `${expiry.getFullYear()}-${String(expiry.getMonth() + 1).padStart(2, '0')}-${String(expiry.getDate()).padStart(2, '0')}`;
    await dialog.getByLabel('Expiration date').fill(day);
    await dialog.getByLabel('Confirm your password').fill('not-my-password');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The password confirmation is incorrect.' }).waitFor();
    await dialog.getByLabel('Confirm your password').fill(PW);
    await dialog.getByRole('button', { name: 'Create' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'Your new access key' });
    await secretDialog.waitFor();
    const access = await secretDialog.getByRole('textbox', { name: 'Access key ID' }).inputValue();
    const secret = await secretDialog.getByRole('textbox', { name: 'Secret access key' }).inputValue();
    assert.match(access, /^[A-Z0-9]{20}$/);
    assert.match(secret, /^[A-Za-z0-9]{40}$/);
    assert.deepEqual(await page.getByRole('heading', { name: 'Access keys' }).boundingBox(), headingBox, 'the page does not move when the secret appears');
    await shot(page, 'secret-dialog.png', ['#secret-secret']);

    await secretDialog.getByRole('button', { name: 'Copy secret access key' }).click();
    await secretDialog.getByText('Secret copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    const [download] = await Promise.all([page.waitForEvent('download'), secretDialog.getByRole('button', { name: 'Download credentials file' }).click()]);
    assert.equal(download.suggestedFilename(), `lintel-${access}.credentials`);
    const file = readFileSync(await download.path(), 'utf8');
    assert.ok(file.includes(`aws_access_key_id = ${access}\n`) && file.includes(`aws_secret_access_key = ${secret}\n`), 'the file holds the key');

    // The secret signs requests: Keystone's ec2tokens gives alice's token for the project.
    const signed = await ec2tokens(h.url, admin, access, secret);
    assert.equal(signed.status, 200);
    assert.equal(signed.body.token.user.id, users.alice);
    assert.equal(signed.body.token.project.id, p);

    await secretDialog.getByRole('button', { name: 'I have saved the secret' }).click();
    await secretDialog.waitFor({ state: 'detached' });
    const leftovers = await page.evaluate((s) => document.documentElement.outerHTML.includes(s)
      || [...document.querySelectorAll('input')].some((i: any) => i.value.includes(s)), secret);
    assert.equal(leftovers, false, 'no trace of the secret in the DOM once dismissed');

    const r = row(page, access);
    await r.waitFor();
    assert.equal(await r.locator('td[data-label="Issued by"]').innerText(), 'Console');
    assert.equal(await r.locator('td[data-label="State"]').innerText(), 'Active');
    const [y, m, d] = day.split('-');
    assert.ok((await r.locator('td[data-label="Expires"]').innerText()).startsWith(`${d}.${m}.${y}`), 'dates in the reader\'s locale (de-DE)');
    await page.getByRole('button', { name: 'Create access key' }).focus();
    await shot(page, 'key-list.png');

    await r.getByRole('button', { name: `Deactivate ${access}` }).click();
    await page.getByRole('dialog', { name: 'Deactivate access key?' }).getByRole('button', { name: 'Deactivate' }).click();
    await r.locator('td[data-label="State"]').getByText('Inactive').waitFor();
    assert.equal(keystoneError(await ec2tokens(h.url, admin, access, secret), 401).code, 401);
    await r.getByRole('button', { name: `Reactivate ${access}` }).click();
    await page.getByRole('dialog', { name: 'Reactivate access key?' }).getByRole('button', { name: 'Reactivate' }).click();
    await r.locator('td[data-label="State"]').getByText('Active').waitFor();
    assert.equal((await ec2tokens(h.url, admin, access, secret)).status, 200);
    await r.getByRole('button', { name: `Delete ${access}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete access key?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await r.count(), 1, 'cancel keeps the key');
    await r.getByRole('button', { name: `Delete ${access}` }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await r.waitFor({ state: 'detached' });
    assert.equal((await ec2tokens(h.url, admin, access, secret)).status, 404);

    // The session ends server-side (token revoked): the next action returns to sign-in, saying why.
    assert.ok(token);
    assert.equal((await call(h.url, 'DELETE', '/v3/auth/tokens', { token: admin, subject: token })).status, 204);
    await page.getByRole('button', { name: 'Create access key' }).click();
    await page.getByRole('dialog', { name: 'Create access key' }).getByLabel('Confirm your password').fill(PW);
    await page.getByRole('dialog', { name: 'Create access key' }).getByRole('button', { name: 'Create' }).click();
    await page.getByText('Your session has expired or was ended. Please sign in again.').waitFor();
    await page.getByRole('heading', { name: 'Sign in to Lintel' }).waitFor();
    await context.close();
  });

  test('the token\'s expiry returns the console to sign-in on its own', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(`${h.url}/console/`);
    await signIn(page, 'bob');
    await page.clock.fastForward('02:00:00');
    await page.getByText('Your session has expired or was ended. Please sign in again.').waitFor();
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    await context.close();
  });

  test('an admin sees everyone\'s keys in the project and manages another user\'s; the limit is said in plain words', async () => {
    // bob has two keys from other dialects' APIs already (SODA's), alice none.
    const bobToken = (await issue(h.url, passwordAuth({ name: 'bob' }, PW, { project: { id: p } }))).id;
    for (let i = 0; i < 2; i++) {
      assert.equal((await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { token: bobToken, body: {} })).status, 200);
    }
    const { context, page } = await open();
    await signIn(page, 'carol');
    await page.locator('tbody tr').first().waitFor();
    const bobs = page.locator('tbody tr').filter({ has: page.locator('td[data-label="Owner"]', { hasText: /^bob$/ }) });
    assert.equal(await bobs.count(), 2);
    assert.deepEqual(await bobs.locator('td[data-label="Issued by"]').allInnerTexts(), ['SODA multicloud', 'SODA multicloud']);

    // A third key for bob, created by carol with her own password.
    await page.getByRole('button', { name: 'Create access key' }).click();
    let dialog = page.getByRole('dialog', { name: 'Create access key' });
    await dialog.getByLabel('Owner').selectOption({ label: 'bob' });
    await dialog.getByLabel('Confirm your password').fill(PW);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'Your new access key' });
    const access = await secretDialog.getByRole('textbox', { name: 'Access key ID' }).inputValue();
    await secretDialog.getByRole('button', { name: 'I have saved the secret' }).click();
    const r = row(page, access);
    assert.equal(await r.locator('td[data-label="Owner"]').innerText(), 'bob');

    // bob is at the limit now: a fourth is refused, and the page says why.
    await page.getByRole('button', { name: 'Create access key' }).click();
    dialog = page.getByRole('dialog', { name: 'Create access key' });
    await dialog.getByLabel('Owner').selectOption({ label: 'bob' });
    await dialog.getByLabel('Confirm your password').fill(PW);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'You have reached the limit of access keys' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await r.getByRole('button', { name: `Deactivate ${access}` }).click();
    await page.getByRole('dialog', { name: 'Deactivate access key?' }).getByRole('button', { name: 'Deactivate' }).click();
    await r.locator('td[data-label="State"]').getByText('Inactive').waitFor();
    await r.getByRole('button', { name: `Delete ${access}` }).click();
    await page.getByRole('dialog', { name: 'Delete access key?' }).getByRole('button', { name: 'Delete' }).click();
    await r.waitFor({ state: 'detached' });
    const left = await call(h.multicloudUrl, 'GET', `/v1/${p}/aksks/${users.bob}`, { token: bobToken });
    assert.equal(left.body.length, 2);
    await context.close();
  });

  test('readable at 360 px: no horizontal scrolling, every control labelled', async () => {
    const { context, page } = await open({ width: 360 });
    await signIn(page, 'carol');
    await page.locator('tbody tr').first().waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'fits 360 px');
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button')]
      .filter((el: any) => !el.innerText?.trim() && !el.getAttribute('aria-label') && !el.labels?.length).length);
    assert.equal(unlabelled, 0);
    await shot(page, 'key-list-360px.png');
    await context.close();
  });

  test('another site cannot act for a signed-in user: no cookie to ride, no CORS grant to read', async () => {
    const { context, page } = await open();
    await signIn(page, 'carol');
    const count = () => h.ds.getRepository(CredentialEntity).count();
    const before = await count();
    const target = `${h.url}/v3/OS-LINTEL/projects/${p}/access_keys`;
    // A hostile page on another origin, open in the same browser while carol is signed in.
    const evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><title>evil</title>
        <form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"access_key":{},"password":"x","pad":"' value='"}'></form>
        <script>
          fetch(${JSON.stringify(target)}, { credentials: 'include' })
            .then((r) => console.log('read ' + r.status), () => console.log('blocked'))
            .finally(() => document.getElementById('f').submit());
        </script>`);
    });
    await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
    try {
      const other = await context.newPage();
      const said: string[] = [];
      other.on('console', (m) => said.push(m.text()));
      const answer = other.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
      await other.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      assert.ok([400, 401, 415].includes((await answer).status()), 'the forged form post carries no token and no JSON: refused');
      assert.ok(said.includes('blocked'), `the cross-origin read is blocked by the browser (${said.join('; ')})`);
      assert.equal(await count(), before, 'nothing created');
      await other.close();
    } finally {
      evil.close();
    }
    await context.close();
  });

  test('no CSP violation and no script error in any page of the run', () => {
    assert.deepEqual(problems.filter((m) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m)), []);
  });
});
