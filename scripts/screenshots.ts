/**
 * Screenshots of the console for the README, from a real run: the whole system in this process
 * with the console's origin (test/testing/system.ts, over the machine's PostgreSQL and NATS), a
 * small catalogue, orders that took every path (confirmed, declined, out of stock, payment timed
 * out, a flaky card that went through), a low-stock alert, and a shopper and an admin using the
 * console in headless Chromium. Every page at a desktop width, and the catalogue and an order at
 * 390 px, into docs/screenshots/*.png.
 *
 *   npm run screenshots   (about a minute; ends within 180 s whatever happens)
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DESKTOP, launchBrowser, openPage, PHONE } from '../test/testing/browser';
import { eventually } from '../platform/testing/eventually';
import { placeOrder, query, stockProduct } from '../test/testing/customer';
import { startSystem } from '../test/testing/system';
import { addToCart, openFromNavigation, orderStatus, placeOrderWith, SHOWS_WITHIN_MS, signIn } from '../test/testing/console';

const OUT_DIR = new URL('../docs/screenshots/', import.meta.url).pathname;
const TIMEOUT_S = 180;

const deadline = setTimeout(() => {
  console.error(`screenshots did not finish within ${TIMEOUT_S} s`);
  process.exit(1);
}, TIMEOUT_S * 1000);
deadline.unref();

const written: string[] = [];
async function shoot(page: Page, name: string, { fullPage = false } = {}): Promise<void> {
  // Let the last live update paint; no animation or caret in a picture.
  await page.waitForTimeout(250);
  const path = join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: 'disabled', caret: 'hide' });
  written.push(`${name}.png (${Math.round(statSync(path).size / 1024)} KB)`);
}

mkdirSync(OUT_DIR, { recursive: true });
// A short payment deadline, so the timed-out order finishes while the script runs.
const system = await startSystem({ web: true, saga: { paymentDeadlineMs: 1500 } });
const browser = await launchBrowser();
let exitCode = 1;
try {
  await stockProduct(system, 'MUG', { name: 'Enamel mug', price: 1250, quantity: 120 });
  await stockProduct(system, 'TEE', { name: 'Organic cotton tee', price: 1999, quantity: 80 });
  await stockProduct(system, 'BOOK', { name: 'Field notebook', price: 850, quantity: 200 });
  await stockProduct(system, 'LAMP', { name: 'Desk lamp', price: 2400, quantity: 9 });
  await stockProduct(system, 'CAP', { name: 'Canvas cap', price: 1500, quantity: 2 });

  // Orders on every path, from two shoppers; LAMP ends at 4 available: a low-stock alert.
  const placed = [
    await placeOrder(system, 'alice', [{ sku: 'BOOK', quantity: 3 }], 'tok_flaky'),
    await placeOrder(system, 'bob', [{ sku: 'MUG', quantity: 4 }], 'tok_ok'),
    await placeOrder(system, 'alice', [{ sku: 'CAP', quantity: 5 }], 'tok_ok'),
    await placeOrder(system, 'alice', [{ sku: 'TEE', quantity: 1 }], 'tok_decline'),
    await placeOrder(
      system,
      'bob',
      [
        { sku: 'LAMP', quantity: 5 },
        { sku: 'BOOK', quantity: 2 },
      ],
      'tok_ok',
    ),
    await placeOrder(system, 'alice', [{ sku: 'MUG', quantity: 1 }], 'tok_timeout'),
  ];
  const declinedId = placed[3]!.orderId;
  const completedId = placed[4]!.orderId;
  for (const customer of ['alice', 'bob']) {
    await eventually(`${customer}'s orders finished`, async () => {
      const items = ((await query(system, customer, '/orders')).body as { items: { status: string }[] }).items;
      return items.every((item) => item.status === 'confirmed' || item.status === 'cancelled') ? true : undefined;
    });
  }

  const signedOut = await openPage(browser);
  await signedOut.page.goto(`${system.webUrl}/`);
  await signedOut.page.getByRole('form', { name: 'Development sign-in' }).waitFor();
  await signedOut.page.getByLabel('User name').fill('alice');
  await shoot(signedOut.page, 'sign-in');
  await signedOut.context.close();

  // The shopper.
  const shopper = await openPage(browser);
  await signIn(shopper.page, system.webUrl!, { user: 'alice', role: 'customer' });
  await addToCart(shopper.page, 'Enamel mug', 2);
  await addToCart(shopper.page, 'Organic cotton tee', 1);
  await shoot(shopper.page, 'catalogue');
  await openFromNavigation(shopper.page, 'Cart');
  await shoot(shopper.page, 'cart');
  await placeOrderWith(shopper.page, 'tok_ok');
  await orderStatus(shopper.page).filter({ hasText: 'Confirmed' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  const confirmedUrl = shopper.page.url();
  await shoot(shopper.page, 'order-confirmed');
  await shopper.page.goto(`${system.webUrl}/#/orders/${declinedId}`);
  await orderStatus(shopper.page).filter({ hasText: 'Cancelled' }).waitFor();
  await shoot(shopper.page, 'order-cancelled');
  await openFromNavigation(shopper.page, 'Orders', 'Your orders');
  await shopper.page.getByRole('table', { name: 'Your orders' }).waitFor();
  await shoot(shopper.page, 'order-history');
  await openFromNavigation(shopper.page, 'Notifications');
  await shopper.page.getByRole('list', { name: 'Notifications, newest first' }).waitFor();
  await shoot(shopper.page, 'notifications');

  // The same shopper on a phone.
  await shopper.page.setViewportSize(PHONE);
  await openFromNavigation(shopper.page, 'Catalogue');
  await shopper.page.getByRole('button', { name: 'Add Enamel mug to cart' }).waitFor();
  await shoot(shopper.page, 'phone-catalogue');
  await shopper.page.goto(confirmedUrl);
  await orderStatus(shopper.page).filter({ hasText: 'Confirmed' }).waitFor();
  await shoot(shopper.page, 'phone-order');
  await shopper.context.close();

  // The admin.
  const admin = await openPage(browser, { viewport: DESKTOP });
  await signIn(admin.page, system.webUrl!, { user: 'ada', role: 'admin' });
  await admin.page.getByRole('list', { name: 'Low-stock alerts, newest first' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  await admin.page.getByRole('status').filter({ hasText: 'Nothing is stuck' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  await admin.page.getByRole('table', { name: 'Projections' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  await shoot(admin.page, 'admin-operations', { fullPage: true });
  await openFromNavigation(admin.page, 'Orders');
  await admin.page.getByRole('table', { name: 'Orders, newest first' }).waitFor();
  await shoot(admin.page, 'admin-orders');
  await admin.page.goto(`${system.webUrl}/#/admin/checkouts/${declinedId}`);
  await admin.page.getByTestId('checkout-status').filter({ hasText: 'Compensated' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  await shoot(admin.page, 'admin-checkout-compensated');
  await admin.page.goto(`${system.webUrl}/#/admin/checkouts/${completedId}`);
  await admin.page.getByTestId('checkout-status').filter({ hasText: 'Completed' }).waitFor({ timeout: SHOWS_WITHIN_MS });
  await shoot(admin.page, 'admin-checkout-completed', { fullPage: true });
  await openFromNavigation(admin.page, 'Products');
  await admin.page.getByRole('button', { name: 'Manage LAMP' }).click();
  await admin.page.getByRole('form', { name: 'Receive stock of LAMP' }).waitFor();
  await shoot(admin.page, 'admin-products', { fullPage: true });
  await openFromNavigation(admin.page, 'Sales');
  // The last week rather than the default month: the run's sales are all today.
  const weekAgo = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
  await admin.page.getByLabel('From').fill(weekAgo);
  await admin.page.getByRole('button', { name: 'Show sales' }).click();
  await admin.page.getByText(`Units sold per day and SKU, ${weekAgo} to`).waitFor({ timeout: SHOWS_WITHIN_MS });
  await admin.page.locator('figure.chart canvas').first().waitFor({ timeout: SHOWS_WITHIN_MS });
  await shoot(admin.page, 'admin-sales');
  await admin.context.close();

  console.log(`wrote ${written.length} screenshots to docs/screenshots/:\n  ${written.join('\n  ')}`);
  exitCode = 0;
} catch (error) {
  console.error(error);
} finally {
  await browser.close();
  await system.stop();
}
process.exit(exitCode);
