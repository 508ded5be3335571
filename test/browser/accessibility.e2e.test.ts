/**
 * Every page of the console scanned with axe-core, at a desktop width and at 390 px (a phone):
 * no serious or critical violation, and no page logs an error. The pages show real data — a
 * confirmed and a declined order, a low-stock alert, a checkout that compensated — because an
 * empty page hides most of what can be wrong (tables, badges, alerts, the sales chart).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Locator } from 'playwright-core';
import { assertAccessible, DESKTOP, launchBrowser, openPage, PHONE, type Browser, type Page, type WatchedPage } from '../testing/browser';
import { eventually } from '../../platform/testing/eventually';
import { placeOrder, query, stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { addToCart, orderStatus, SHOWS_WITHIN_MS, signIn } from '../testing/console';

let system: RunningSystem;
let browser: Browser;
let confirmedId: string;
let declinedId: string;

test.before(async () => {
  [system, browser] = await Promise.all([startSystem({ web: true }), launchBrowser()]);
  await stockProduct(system, 'MUG', { price: 1250, quantity: 100 });
  await stockProduct(system, 'TEE', { price: 1999, quantity: 100 });
  // 6 on hand: an order of 2 leaves 4, under the low-stock threshold (5): an admin alert.
  await stockProduct(system, 'LAMP', { price: 2400, quantity: 6 });
  confirmedId = (
    await placeOrder(
      system,
      'gina',
      [
        { sku: 'MUG', quantity: 2 },
        { sku: 'LAMP', quantity: 2 },
      ],
      'tok_ok',
    )
  ).orderId;
  declinedId = (await placeOrder(system, 'gina', [{ sku: 'TEE', quantity: 1 }], 'tok_decline')).orderId;
  await eventually('both orders finished', async () => {
    const answer = await query(system, 'gina', '/orders');
    const items = (answer.body as { items: { status: string }[] }).items;
    return items.length === 2 && items.every((item) => item.status === 'confirmed' || item.status === 'cancelled') ? true : undefined;
  });
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
});

interface ConsolePage {
  name: string;
  /** The address after `#/`. */
  path: string;
  /** What shows once the page has its data. */
  ready(page: Page): Locator;
  /** Done on the page before the scan (e.g. open a form). */
  prepare?(page: Page): Promise<void>;
  /** Errors the browser logs on this page that are expected (e.g. a 404 answer). */
  expectedErrors?: RegExp[];
}

const customerPages = (): ConsolePage[] => [
  { name: 'catalogue', path: 'catalogue', ready: (page) => page.getByRole('button', { name: 'Add Product MUG to cart' }) },
  { name: 'cart', path: 'cart', ready: (page) => page.getByRole('button', { name: 'Place order' }) },
  { name: 'order (confirmed)', path: `orders/${confirmedId}`, ready: (page) => orderStatus(page).filter({ hasText: 'Confirmed' }) },
  { name: 'order (declined)', path: `orders/${declinedId}`, ready: (page) => orderStatus(page).filter({ hasText: 'Cancelled' }) },
  { name: 'order history', path: 'orders', ready: (page) => page.getByRole('table', { name: 'Your orders' }) },
  { name: 'notifications', path: 'notifications', ready: (page) => page.getByRole('list', { name: 'Notifications, newest first' }) },
  { name: 'page not found', path: 'no-such-page', ready: (page) => page.getByRole('heading', { name: 'Page not found' }) },
];

const adminPages = (): ConsolePage[] => [
  {
    name: 'operations',
    path: 'admin/operations',
    ready: (page) => page.getByRole('list', { name: 'Low-stock alerts, newest first' }),
    prepare: async (page) => void (await page.getByRole('table', { name: 'Projections' }).waitFor()),
  },
  { name: 'orders feed', path: 'admin/orders', ready: (page) => page.getByRole('table', { name: 'Orders, newest first' }) },
  { name: 'checkouts', path: 'admin/checkouts', ready: (page) => page.getByRole('button', { name: 'Show checkout' }) },
  {
    name: 'checkout timeline (compensated)',
    path: `admin/checkouts/${declinedId}`,
    ready: (page) => page.getByTestId('checkout-status').filter({ hasText: 'Compensated' }),
  },
  {
    name: 'checkout timeline (completed)',
    path: `admin/checkouts/${confirmedId}`,
    ready: (page) => page.getByTestId('checkout-status').filter({ hasText: 'Completed' }),
  },
  {
    name: 'products',
    path: 'admin/products',
    ready: (page) => page.getByRole('table', { name: 'Products' }),
    prepare: async (page) => {
      await page.getByRole('button', { name: 'Manage LAMP' }).click();
      await page.getByRole('form', { name: 'Receive stock of LAMP' }).waitFor();
    },
  },
  {
    name: 'sales',
    path: 'admin/sales',
    ready: (page) => page.getByRole('table', { name: 'Sales totals per currency' }),
    prepare: async (page) => void (await page.locator('figure.chart canvas').first().waitFor()),
  },
  {
    name: 'order (admin)',
    path: `orders/${confirmedId}`,
    ready: (page) => page.getByRole('link', { name: 'Checkout saga of this order' }),
  },
  {
    name: 'notifications (admin)',
    path: 'notifications',
    ready: (page) => page.getByRole('list', { name: 'Notifications, newest first' }),
  },
];

async function scan(consolePage: WatchedPage, pages: ConsolePage[], width: string, failures: string[]): Promise<void> {
  for (const page of pages) {
    const where = `${page.name} at ${width}`;
    try {
      await consolePage.page.goto(`${system.webUrl}/#/${page.path}`);
      await page.ready(consolePage.page).first().waitFor({ timeout: SHOWS_WITHIN_MS });
      await page.prepare?.(consolePage.page);
      await assertAccessible(consolePage.page, where);
      consolePage.assertNoErrors(where, page.expectedErrors);
    } catch (error) {
      failures.push((error as Error).message);
      consolePage.errors.splice(0);
    }
  }
}

for (const [width, viewport] of [
  ['desktop width', DESKTOP],
  ['390 px', PHONE],
] as const) {
  test(`every page at ${width}: no serious or critical axe violation, no error logged`, async () => {
    const failures: string[] = [];

    const signedOut = await openPage(browser, { viewport });
    try {
      await signedOut.page.goto(`${system.webUrl}/`);
      await signedOut.page.getByRole('form', { name: 'Development sign-in' }).waitFor();
      await assertAccessible(signedOut.page, `sign-in at ${width}`).catch((error: Error) => void failures.push(error.message));
      signedOut.assertNoErrors(`sign-in at ${width}`);
    } finally {
      await signedOut.context.close();
    }

    const shopper = await openPage(browser, { viewport });
    try {
      await signIn(shopper.page, system.webUrl!, { user: 'gina', role: 'customer' });
      await addToCart(shopper.page, 'Product TEE', 1);
      await scan(shopper, customerPages(), width, failures);
    } finally {
      await shopper.context.close();
    }

    const admin = await openPage(browser, { viewport });
    try {
      await signIn(admin.page, system.webUrl!, { user: 'ada', role: 'admin' });
      await scan(admin, adminPages(), width, failures);
    } finally {
      await admin.context.close();
    }

    assert.ok(failures.length === 0, `${failures.length} page(s) failed:\n${failures.join('\n')}`);
  });
}

test.run();
