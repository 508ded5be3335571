/**
 * A shopper in the console, in real Chromium, on the real system (the event store emulator through
 * its client, the saga and the payment sandbox, PostgreSQL, NATS, the query API's socket.io, all
 * behind the console's origin): signs in, fills the cart, pays with a test card, and watches the
 * order reach its end on screen without reloading — confirmed, or cancelled with its reason; and
 * when the live connection is lost while an order completes, gets the final state and the missed
 * notification (once) when it comes back. No page logs an error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openPage, type Browser, type WatchedPage } from '../testing/browser';
import { eventually } from '../../platform/testing/eventually';
import { query, stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import {
  addToCart,
  liveState,
  navLink,
  openFromNavigation,
  orderStatus,
  placeOrderWith,
  SHOWS_WITHIN_MS,
  signIn,
  unreadCount,
  waitUntilLive,
} from '../testing/console';
import { installSocketCut, type SocketCut } from '../testing/socket-cut';

let system: RunningSystem;
let browser: Browser;

test.before(async () => {
  [system, browser] = await Promise.all([startSystem({ web: true }), launchBrowser()]);
  await stockProduct(system, 'MUG', { price: 1250, quantity: 100 });
  await stockProduct(system, 'TEE', { price: 1999, quantity: 100 });
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
});

/** A mark left in the page's window: still there later means the page was not reloaded meanwhile. */
async function markPage(page: WatchedPage): Promise<() => Promise<boolean>> {
  const mark = `mark-${Math.random()}`;
  await page.page.evaluate((value) => ((globalThis as unknown as { testMark: string }).testMark = value), mark);
  return async () => (await page.page.evaluate(() => (globalThis as unknown as { testMark?: string }).testMark)) === mark;
}

/** Catalogue → two products in the cart → the cart page. */
async function fillCart(shopper: WatchedPage): Promise<void> {
  await openFromNavigation(shopper.page, 'Catalogue');
  await addToCart(shopper.page, 'Product MUG', 2);
  await addToCart(shopper.page, 'Product TEE', 1);
  await openFromNavigation(shopper.page, 'Cart');
  await shopper.page.getByTestId('cart-total').filter({ hasText: '€44.99' }).waitFor();
}

test('a shopper pays with tok_ok and sees the order confirmed without reloading; tok_decline shows it cancelled, and why', async () => {
  const shopper = await openPage(browser);
  try {
    await signIn(shopper.page, system.webUrl!, { user: 'dana', role: 'customer' });
    shopper.assertNoErrors('signing in');

    await fillCart(shopper);
    shopper.assertNoErrors('filling the cart');
    const stillSamePage = await markPage(shopper);
    const confirmedId = await placeOrderWith(shopper.page, 'tok_ok');
    await orderStatus(shopper.page)
      .filter({ hasText: /^Confirmed$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.ok(await stillSamePage(), 'the order page was reloaded');
    assert.is(await shopper.page.getByTestId('payment-status').textContent(), 'paid');
    const lines = shopper.page.getByRole('table').getByRole('row');
    assert.equal(await lines.allInnerTexts().then((rows) => rows.map((row) => row.replace(/\s+/g, ' ').trim())), [
      'SKU Quantity Unit price',
      'MUG 2 €12.50',
      'TEE 1 €19.99',
      'Total €44.99',
    ]);
    // The confirmation's notification arrives live too: one unread.
    await navLink(shopper.page, 'Notifications').filter({ hasText: '1 unread' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    shopper.assertNoErrors('the confirmed order');

    await fillCart(shopper);
    const declinedId = await placeOrderWith(shopper.page, 'tok_decline');
    assert.is.not(declinedId, confirmedId);
    await orderStatus(shopper.page)
      .filter({ hasText: /^Cancelled$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.ok(await stillSamePage(), 'the order page was reloaded');
    assert.match(
      await shopper.page
        .getByRole('status')
        .filter({ has: orderStatus(shopper.page) })
        .innerText(),
      /Status: Cancelled — payment declined/,
    );
    assert.is(await shopper.page.getByTestId('payment-status').textContent(), 'declined');
    shopper.assertNoErrors('the declined order');

    // Both orders, each with its outcome, in the shopper's history.
    await openFromNavigation(shopper.page, 'Orders', 'Your orders');
    const history = shopper.page.getByRole('table', { name: 'Your orders' });
    await history.locator(`[data-order-id="${declinedId}"]`).getByText('Cancelled: payment declined').waitFor();
    await history.locator(`[data-order-id="${confirmedId}"]`).getByText('Confirmed', { exact: true }).first().waitFor();
    assert.is(await history.locator('tbody tr').count(), 2);
    shopper.assertNoErrors('the order history');
  } finally {
    await shopper.context.close();
  }
});

test('the live connection is cut while an order completes: back online, the page shows the final state and the missed notification once', async () => {
  const shopper = await openPage(browser);
  let socket: SocketCut;
  try {
    socket = await installSocketCut(shopper.page);
    await signIn(shopper.page, system.webUrl!, { user: 'erin', role: 'customer' });
    await fillCart(shopper);
    const stillSamePage = await markPage(shopper);

    await socket.cut();
    await liveState(shopper.page)
      .filter({ hasText: /^Reconnecting…$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    // HTTP still works: the order is placed while the page hears nothing live.
    const orderId = await placeOrderWith(shopper.page, 'tok_ok');
    const [notification] = await eventually("erin's OrderConfirmed in the read model", async () => {
      const answer = await query(system, 'erin', '/notifications');
      const items = (answer.body as { items: { id: string; type: string; orderId: string }[] }).items;
      return items.some((item) => item.orderId === orderId && item.type === 'OrderConfirmed') ? items : undefined;
    });
    assert.ok(notification);
    // Nothing of it has reached the page: no live event, and nothing re-read while cut.
    assert.is(await unreadCount(shopper.page), 0);
    assert.is(await liveState(shopper.page).textContent(), 'Reconnecting…');

    socket.restore();
    await waitUntilLive(shopper.page);
    await orderStatus(shopper.page)
      .filter({ hasText: /^Confirmed$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    await navLink(shopper.page, 'Notifications').filter({ hasText: '1 unread' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.ok(await stillSamePage(), 'the page was reloaded');

    await openFromNavigation(shopper.page, 'Notifications');
    const items = shopper.page.getByRole('list', { name: 'Notifications, newest first' }).getByRole('listitem');
    await items.first().waitFor();
    assert.equal(
      await items.allInnerTexts().then((texts) =>
        texts.map((text) =>
          text
            .replace(/^.*?(Your order)/s, '$1')
            .replace(/\s+/g, ' ')
            .trim(),
        ),
      ),
      [`Your order is confirmed: €44.99. Order ${orderId.slice(0, 8)}`],
    );
    assert.is(await items.getByRole('link', { name: `Order ${orderId.slice(0, 8)}` }).getAttribute('href'), `#/orders/${orderId}`);
    assert.is(await unreadCount(shopper.page), 0);
    assert.ok(socket.opened >= 2, `expected the page to open a new socket after the cut, saw ${socket.opened}`);

    // The browser logs each socket.io request the cut aborted (a poll caught in flight), and a send
    // the client made on the websocket the cut closed under it; nothing else may appear.
    shopper.assertNoErrors('around the cut', [
      /ERR_INTERNET_DISCONNECTED \(http:\/\/[^)]*\/socket\.io\//,
      /WebSocket is already in CLOSING or CLOSED state/,
    ]);
  } finally {
    await shopper.context.close();
  }
});

test.run();
