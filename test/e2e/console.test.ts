import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TEST_TOKENS, withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, postJson, request, sampleOrder } from '../support/http';
import { uniqueName } from '../support/env';

/** Debian's Chromium, headless, with the flags that work on these machines (shared NOTES). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('operators\' console in headless Chromium: from a failure group to a replayed order', function () {
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-console-'));
  let stack: DemoStack;
  let browser: Browser;
  let page: Page;
  const tag = uniqueName('con');
  const ids: string[] = [];
  const status = async (id: string): Promise<string> => String((await request(`${stack.base}/api/v1/messages/${id}`)).json.status);

  before(async () => {
    stack = await startDemoStack({ servers: { sqliteFile: path.join(dir, 'junction.db') }, adjust: withAdminTokens });
    stack.erp.setBehaviour({ faultCode: 'Client' });
    for (let i = 0; i < 3; i += 1) ids.push(String((await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-${i}`))).json.messageId));
    for (const id of ids) await eventually(async () => ((await status(id)) === 'FAILED' ? true : undefined), 20_000);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a token, refuses a wrong one, then shows the failures grouped by cause', async () => {
    await page.goto(`${stack.base}/console`);
    expect(page.url()).to.equal(`${stack.base}/console/`);
    await page.getByTestId('token').fill('not-a-token');
    await page.getByTestId('login').locator('button').click();
    await page.getByTestId('login').waitFor();
    await page.getByTestId('token').fill(ADMIN_TEST_TOKENS.operator);
    await page.getByTestId('login').locator('button').click();
    await page.getByTestId('group-count').first().waitFor();
    expect(await page.getByTestId('group-count').first().textContent()).to.equal('3');
    expect(await page.locator('#who').textContent()).to.contain('alice (operator)');
    expect(await page.locator('main').textContent()).to.contain('JCT_ENDPOINT_REJECTED').and.contain('erp-orders');
    await page.getByTestId('group-dry-run').first().click();
    expect(await page.getByTestId('group-dry-run-result').textContent()).to.contain('3 of 3 tried: 3 would deliver, 0 would fail');
  });

  it('lists the group\'s messages and opens one: timeline, pretty payloads, a diff between steps, a dry-run', async () => {
    await page.getByRole('link', { name: 'Messages' }).first().click();
    await page.getByTestId('message-count').waitFor();
    expect(await page.getByTestId('message-count').textContent()).to.equal('3 message(s)');
    await page.locator('tbody tr').filter({ hasText: `${tag}-0` }).click();
    await page.getByTestId('status').waitFor();
    expect(await page.getByTestId('status').textContent()).to.equal('FAILED');
    expect(await page.getByTestId('last-error').textContent()).to.contain('JCT_ENDPOINT_REJECTED');
    expect(await page.getByTestId('payload-original').textContent()).to.contain('\n  "amount": "250.00"');
    await page.locator('tbody tr').filter({ hasText: 'step:erp-orders:order-to-erp' }).click();
    expect(await page.getByTestId('stage-payload').textContent()).to.contain('"ORDER_NO"');
    await page.getByTestId('diff-previous').click();
    await page.locator('.diff .add').first().waitFor();
    expect(await page.locator('.diff .add').allTextContents()).to.include.members(['+   "AMOUNT": 250.00,']);
    expect(await page.locator('.diff .del').allTextContents()).to.include.members(['-   "amount": "250.00",']);
    await page.getByTestId('dry-run-original').click();
    await page.getByTestId('verdict').waitFor();
    expect(await page.getByTestId('verdict').textContent()).to.equal('Would deliver');
    expect(await page.getByTestId('dry-run').textContent()).to.contain('untried').and.contain('does not call the backends');
  });

  it('replays the message, edited, with a reason after confirmation; the replay is delivered, linked, and diffable against the original run', async () => {
    stack.erp.setBehaviour({ faultCode: null });
    await page.getByTestId('replay').click();
    await page.locator('dialog').getByTestId('edit').check();
    await page.locator('dialog').getByTestId('payload').fill(sampleOrder(`${tag}-0`, '"260.00"'));
    await page.locator('dialog').getByTestId('reason').fill('ERP customer table fixed');
    await page.locator('dialog').getByTestId('confirm').click();
    // The page shows the original message until the replay is made: wait for another message's URL.
    await page.waitForURL((url) => {
      const shown = /#\/message\/([0-9a-f-]{36})$/.exec(url.href)?.[1];
      return shown !== undefined && shown !== ids[0];
    });
    const replayId = /message\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    expect(replayId).not.to.equal(ids[0]);
    await eventually(async () => ((await status(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
    await page.reload();
    await page.getByTestId('status').waitFor();
    expect(await page.getByTestId('status').textContent()).to.equal('DELIVERED');
    expect(await page.locator('main').textContent()).to.contain(`Replay of ${ids[0]}`);
    expect(stack.erp.receipts().filter((r) => r.messageId === replayId)).to.have.length(1);
    await page.getByRole('link', { name: String(ids[0]) }).click();
    await page.getByTestId('replays').waitFor();
    await page.locator('tbody tr').filter({ hasText: 'step:erp-orders:order-to-erp' }).click();
    await page.getByTestId('diff-replay').click();
    await page.locator('.diff .add').first().waitFor();
    expect(await page.locator('.diff .add').allTextContents()).to.deep.equal(['+   "AMOUNT": 260.00,']);
    expect(await page.locator('.diff .del').allTextContents()).to.deep.equal(['-   "AMOUNT": 250.00,']);
  });

  it('replays the rest of the group as a bulk job with progress, and shows it all in the audit trail', async () => {
    await page.goto(`${stack.base}/console/#/groups`);
    await page.getByTestId('group-count').first().waitFor();
    expect(await page.getByTestId('group-count').first().textContent()).to.equal('2');
    await page.getByTestId('group-replay').first().click();
    await page.locator('dialog').getByTestId('reason').fill('ERP back');
    await page.locator('dialog').getByTestId('confirm').click();
    await page.waitForURL(/#\/jobs/);
    await eventually(async () => ((await page.getByTestId('job-status').first().textContent()) === 'completed' ? true : undefined), 30_000, 200);
    expect(await page.getByTestId('job-replayed').first().textContent()).to.equal('2');
    await page.getByRole('link', { name: 'Audit' }).click();
    // The jobs page has table rows too: wait for the audit page itself.
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const audit = await page.locator('main').textContent();
    expect(audit).to.contain('alice (operator)').and.contain('ERP customer table fixed').and.contain('ERP back').and.contain('replay-job.create');
    await page.goto(`${stack.base}/console/#/groups`);
    await page.getByTestId('no-failures').waitFor();
  });
});
