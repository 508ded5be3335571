/**
 * The shop going away under an open page, as the browser sees it: every request to the APIs fails
 * at the network and the live connection drops. The page says the shop cannot be reached (and
 * nothing crashes); once the shop answers again, Retry brings the page back, live.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openPage, type Browser } from '../testing/browser';
import { stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { openFromNavigation, SHOWS_WITHIN_MS, signIn, waitUntilLive } from '../testing/console';
import { installSocketCut } from '../testing/socket-cut';

let system: RunningSystem;
let browser: Browser;

test.before(async () => {
  [system, browser] = await Promise.all([startSystem({ web: true }), launchBrowser()]);
  await stockProduct(system, 'MUG', { price: 1250, quantity: 10 });
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
});

const API = /\/api\/(commands|queries)\//;

test('the shop cannot be reached: the page says so with a Retry, and comes back live once it answers', async () => {
  const shopper = await openPage(browser);
  try {
    const socket = await installSocketCut(shopper.page);
    await signIn(shopper.page, system.webUrl!, { user: 'olga', role: 'customer' });
    // The page-wide banner (a view's own alert may say the same of what it could not read).
    const banner = shopper.page.getByRole('alert').filter({ hasText: 'The shop cannot be reached. What you see may be out of date' });
    assert.is(await banner.count(), 0, 'no banner while the shop answers');

    await shopper.page.route(API, (route) => route.abort('connectionrefused'));
    await socket.cut();
    await openFromNavigation(shopper.page, 'Orders', 'Your orders');
    await banner.waitFor({ timeout: SHOWS_WITHIN_MS });
    await shopper.page.getByRole('alert').filter({ hasText: 'The orders could not be read' }).waitFor({ timeout: SHOWS_WITHIN_MS });

    await shopper.page.unroute(API);
    socket.restore();
    await banner.getByRole('button', { name: 'Retry' }).click();
    await banner.waitFor({ state: 'detached', timeout: SHOWS_WITHIN_MS });
    await waitUntilLive(shopper.page);
    await openFromNavigation(shopper.page, 'Catalogue');
    await shopper.page.getByText('Product MUG').first().waitFor({ timeout: SHOWS_WITHIN_MS });

    // The browser logs each request that failed at the network, and a send the socket.io client
    // made on the websocket the cut closed under it; the page itself logs nothing else.
    shopper.assertNoErrors('through the outage', [
      /net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED|FAILED)/,
      /WebSocket is already in CLOSING or CLOSED state/,
    ]);
  } finally {
    await shopper.context.close();
  }
});

test.run();
