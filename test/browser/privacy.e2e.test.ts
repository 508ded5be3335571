/**
 * Two shoppers in two browser contexts (each its own storage: two people on two machines), alice
 * and bob, on the real system behind the console's origin. Bob's pages never show alice's orders
 * or notifications: not in his order history, not in his notifications (live or read), and
 * alice's order's address shows him "not found", exactly as an order that does not exist.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openPage, type Browser } from '../testing/browser';
import { stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { addToCart, navLink, openFromNavigation, orderStatus, placeOrderWith, SHOWS_WITHIN_MS, signIn } from '../testing/console';

let system: RunningSystem;
let browser: Browser;

test.before(async () => {
  [system, browser] = await Promise.all([startSystem({ web: true }), launchBrowser()]);
  await stockProduct(system, 'MUG', { price: 1250, quantity: 100 });
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
});

test("bob's pages never show alice's orders or notifications; her order's address is not found for him", async () => {
  const alice = await openPage(browser);
  const bob = await openPage(browser);
  try {
    await signIn(alice.page, system.webUrl!, { user: 'alice', role: 'customer' });
    await signIn(bob.page, system.webUrl!, { user: 'bob', role: 'customer' });
    // Bob waits on his notifications page while alice orders: a misrouted live one would show here.
    await openFromNavigation(bob.page, 'Notifications');

    await addToCart(alice.page, 'Product MUG', 3);
    await openFromNavigation(alice.page, 'Cart');
    const alicesOrder = await placeOrderWith(alice.page, 'tok_ok');
    await orderStatus(alice.page)
      .filter({ hasText: /^Confirmed$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    await navLink(alice.page, 'Notifications').filter({ hasText: '1 unread' }).waitFor({ timeout: SHOWS_WITHIN_MS });

    // Bob's own order, placed after alice's: once its notification is on his page, a copy of
    // alice's (published before it) would have arrived first.
    await openFromNavigation(bob.page, 'Catalogue');
    await addToCart(bob.page, 'Product MUG', 1);
    await openFromNavigation(bob.page, 'Cart');
    const bobsOrder = await placeOrderWith(bob.page, 'tok_ok');
    await orderStatus(bob.page)
      .filter({ hasText: /^Confirmed$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    await openFromNavigation(bob.page, 'Notifications');
    const bobsNotifications = bob.page.getByRole('list', { name: 'Notifications, newest first' }).getByRole('link');
    await bobsNotifications.first().waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.equal(await bobsNotifications.evaluateAll((links) => links.map((link) => link.getAttribute('href'))), [`#/orders/${bobsOrder}`]);

    // After a reload (everything read again over HTTP), still only his.
    await bob.page.reload();
    await bobsNotifications.first().waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.equal(await bobsNotifications.evaluateAll((links) => links.map((link) => link.getAttribute('href'))), [`#/orders/${bobsOrder}`]);
    assert.not.match(await bob.page.locator('main').innerText(), alicesOrder.slice(0, 8));

    await openFromNavigation(bob.page, 'Orders', 'Your orders');
    const rows = bob.page.getByRole('table', { name: 'Your orders' }).locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-order-id'))), [bobsOrder]);
    bob.assertNoErrors("bob's pages");

    await bob.page.goto(`${system.webUrl}/#/orders/${alicesOrder}`);
    await bob.page.getByRole('heading', { level: 1, name: `Order ${alicesOrder}` }).waitFor();
    const refused = bob.page.getByRole('alert').filter({ hasText: 'The order could not be read' });
    await refused.waitFor({ timeout: SHOWS_WITHIN_MS });
    const refusedText = await refused.innerText();
    assert.match(refusedText, /not found/i);
    assert.is(await orderStatus(bob.page).count(), 0);
    assert.not.match(await bob.page.locator('main').innerText(), /MUG|€37\.50/);
    // The same page for an order that does not exist says the same.
    const madeUp = '00000000-0000-4000-8000-000000000000';
    await bob.page.goto(`${system.webUrl}/#/orders/${madeUp}`);
    await bob.page.getByRole('heading', { level: 1, name: `Order ${madeUp}` }).waitFor();
    const missing = bob.page.getByRole('alert').filter({ hasText: 'The order could not be read' });
    await missing.waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.is((await missing.innerText()).replace(madeUp, '<id>'), refusedText.replace(alicesOrder, '<id>'));
    // The browser logs every 404 answer as an error; that one is expected here, nothing else.
    bob.assertNoErrors("alice's order's address", [/Failed to load resource: the server responded with a status of 404/]);
    alice.assertNoErrors("alice's pages");
  } finally {
    await Promise.all([alice.context.close(), bob.context.close()]);
  }
});

test.run();
