/**
 * An admin in the console, in real Chromium, on the real system behind the console's origin:
 * registers a product and receives stock through the forms, watches a low-stock alert arrive live
 * on the operations page while a shopper's order takes the product's availability down to the
 * projectors' threshold (LOW_STOCK_THRESHOLD, 5 by default), finds that order in the live orders
 * feed and opens its checkout's saga timeline. No page logs an error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openPage, type Browser } from '../testing/browser';
import { placeOrder } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { openFromNavigation, SHOWS_WITHIN_MS, signIn } from '../testing/console';

/** The projectors' default LOW_STOCK_THRESHOLD: available stock at or below it is low. */
const LOW_STOCK_THRESHOLD = 5;

let system: RunningSystem;
let browser: Browser;

test.before(async () => {
  [system, browser] = await Promise.all([startSystem({ web: true }), launchBrowser()]);
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
});

test('an admin registers a product, receives stock, sees a low-stock alert arrive live, and opens the checkout that caused it', async () => {
  const admin = await openPage(browser);
  try {
    await signIn(admin.page, system.webUrl!, { user: 'ada', role: 'admin' });
    await admin.page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    admin.assertNoErrors('signing in');

    // Register a product.
    await openFromNavigation(admin.page, 'Products');
    const register = admin.page.getByRole('form', { name: 'Register a product' });
    await register.getByLabel('SKU').fill('LAMP');
    await register.getByLabel('Name').fill('Desk lamp');
    await register.getByLabel('Price').fill('24.00');
    await register.getByRole('button', { name: 'Register product' }).click();
    await register.getByRole('status').filter({ hasText: 'Registered LAMP.' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    const products = admin.page.getByRole('table', { name: 'Products' });
    const lamp = products.getByRole('row').filter({ has: admin.page.getByRole('rowheader', { name: 'LAMP', exact: true }) });
    await lamp.waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.equal(await cells(lamp), ['Desk lamp', '€24.00', '0', '0', '0', '0', 'Manage LAMP']);

    // Receive stock: 3 above the threshold.
    await lamp.getByRole('button', { name: 'Manage LAMP' }).click();
    const receive = admin.page.getByRole('form', { name: 'Receive stock of LAMP' });
    await receive.getByLabel('Units received').fill(String(LOW_STOCK_THRESHOLD + 3));
    await receive.getByRole('button', { name: 'Receive stock' }).click();
    await admin.page
      .getByRole('status')
      .filter({ hasText: `Received ${LOW_STOCK_THRESHOLD + 3} × LAMP.` })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    await lamp
      .getByRole('cell', { name: String(LOW_STOCK_THRESHOLD + 3), exact: true })
      .first()
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.equal(await cells(lamp), ['Desk lamp', '€24.00', '8', '0', '8', '0', 'Manage LAMP']);
    admin.assertNoErrors('registering and receiving stock');

    // On the operations page, no alert yet; a shopper's order of 3 leaves 5 available: the alert arrives live.
    await openFromNavigation(admin.page, 'Operations');
    await admin.page.getByText('No low-stock alerts.').waitFor();
    const order = await placeOrder(system, 'frank', [{ sku: 'LAMP', quantity: 3 }], 'tok_ok');
    const alerts = admin.page.getByRole('list', { name: 'Low-stock alerts, newest first' }).getByRole('listitem');
    await alerts.first().waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.equal(await alerts.allInnerTexts().then((texts) => texts.map((text) => text.replace(/^.*?Low stock/s, 'Low stock'))), [
      `Low stock: LAMP has ${LOW_STOCK_THRESHOLD} available (threshold ${LOW_STOCK_THRESHOLD}).`,
    ]);
    admin.assertNoErrors('the low-stock alert');

    // The order in the live feed, its page, and its checkout's timeline.
    await openFromNavigation(admin.page, 'Orders');
    const row = admin.page.getByRole('table', { name: 'Orders, newest first' }).locator(`[data-order-id="${order.orderId}"]`);
    await row.getByText('Confirmed', { exact: true }).first().waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.match(await row.innerText(), /frank/);
    await row.getByRole('link', { name: `Order ${order.orderId}` }).click();
    await admin.page.getByRole('heading', { level: 1, name: `Order ${order.orderId}` }).waitFor();
    await admin.page.getByRole('link', { name: 'Checkout saga of this order' }).click();
    await admin.page.getByRole('heading', { level: 1, name: `Checkout of order ${order.orderId}` }).waitFor();
    await admin.page.getByTestId('checkout-status').filter({ hasText: 'Completed' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    const steps = admin.page.getByRole('list', { name: 'Checkout steps' }).locator(':scope > li');
    const titles = await steps.locator('h3').allInnerTexts();
    assert.equal(
      titles.map((title) => title.replace(/\s+/g, ' ').trim()),
      [
        'Checkout started succeeded',
        'Reserve 3 × LAMP succeeded',
        'Authorize payment succeeded',
        'Capture payment succeeded',
        'Confirm order and commit stock succeeded',
      ],
    );
    await admin.page.getByText(/^Finished: completed at /).waitFor();
    admin.assertNoErrors("the checkout's timeline");
  } finally {
    await admin.context.close();
  }
});

/** A table row's cells after its row header, as text. */
async function cells(row: import('playwright-core').Locator): Promise<string[]> {
  return (await row.getByRole('cell').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

test.run();
