/**
 * Signing in to the console through an identity provider, in real Chromium on the real system:
 * a small local OIDC provider (platform/testing/identity-provider.ts — discovery, JWKS, an authorize endpoint
 * that signs in its test user at once, a token endpoint checking PKCE) whose access tokens every
 * service verifies against its JWKS. The shopper clicks "Sign in with …", comes back signed in,
 * shops and sees the order confirmed; an answer whose `state` was tampered with is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oidcVerifier } from '../../platform/auth';
import { startTestIdentityProvider, type TestIdentityProvider } from '../../platform/testing/identity-provider';
import { launchBrowser, openPage, type Browser } from '../testing/browser';
import { stockProduct } from '../testing/customer';
import { startSystem, type RunningSystem } from '../testing/system';
import { addToCart, openFromNavigation, orderStatus, placeOrderWith, SHOWS_WITHIN_MS, waitUntilLive } from '../testing/console';

let provider: TestIdentityProvider;
let system: RunningSystem;
let browser: Browser;

test.before(async () => {
  // Keycloak-shaped: roles at realm_access.roles, the APIs as the access token's audience.
  provider = await startTestIdentityProvider({ audience: 'checkout-apis', rolesClaim: 'realm_access.roles', clientId: 'checkout-console' });
  [system, browser] = await Promise.all([
    startSystem({
      web: true,
      identityProvider: {
        tokens: oidcVerifier({ issuer: provider.issuer, audience: ['checkout-apis'], rolesClaim: 'realm_access.roles' }),
        console: { issuer: provider.issuer, clientId: 'checkout-console', scope: 'openid', rolesClaim: 'realm_access.roles' },
        issue: (sub, role) => provider.issue({ sub, roles: [role] }),
      },
    }),
    launchBrowser(),
  ]);
  provider.allowRedirect(`${system.webUrl}/`);
  await stockProduct(system, 'MUG', { price: 1250, quantity: 20 });
});

test.after(async () => {
  await browser?.close();
  await system?.stop();
  await provider?.stop();
});

const signInButton = () => `Sign in with ${new URL(provider.issuer).host}`;

test('the shopper signs in with the identity provider, comes back signed in, and an order is confirmed', async () => {
  provider.user = { sub: 'oidc-shopper', roles: ['default-roles-checkout', 'customer'] };
  const shopper = await openPage(browser);
  try {
    await shopper.page.goto(`${system.webUrl}/#/`);
    // No development sign-in beside an identity provider.
    assert.is(await shopper.page.getByLabel('User name').count(), 0);
    const exchanged = provider.codesExchanged;
    await shopper.page.getByRole('button', { name: signInButton() }).click();
    await shopper.page.getByText('Signed in as oidc-shopper (customer)').waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.is(provider.codesExchanged, exchanged + 1);
    // The code is gone from the address bar; the token's expiry is shown.
    assert.is(new URL(shopper.page.url()).search, '');
    assert.match((await shopper.page.getByTestId('token-expiry').textContent()) ?? '', /^Token expires /);
    await waitUntilLive(shopper.page);
    shopper.assertNoErrors('signing in');

    await openFromNavigation(shopper.page, 'Catalogue');
    await addToCart(shopper.page, 'Product MUG', 2);
    await openFromNavigation(shopper.page, 'Cart');
    const orderId = await placeOrderWith(shopper.page, 'tok_ok');
    await orderStatus(shopper.page)
      .filter({ hasText: /^Confirmed$/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    shopper.assertNoErrors('placing the order');
    const row = (await system.knex('orders').where({ order_id: orderId }).first('customer_id')) as { customer_id: string } | undefined;
    assert.is(row?.customer_id, 'oidc-shopper', "the order is the provider's user's");
  } finally {
    await shopper.context.close();
  }
});

test('an answer whose state was tampered with is refused: no code exchanged, not signed in', async () => {
  const shopper = await openPage(browser);
  try {
    // The provider's real redirect, with its genuine code, but another state.
    await shopper.page.route(`${provider.issuer}/authorize?**`, async (route) => {
      const answer = await route.fetch({ maxRedirects: 0 });
      const back = new URL(answer.headers().location!);
      back.searchParams.set('state', 'forged-state');
      await route.fulfill({ status: 302, headers: { location: back.toString() } });
    });
    await shopper.page.goto(`${system.webUrl}/#/`);
    const exchanged = provider.codesExchanged;
    await shopper.page.getByRole('button', { name: signInButton() }).click();
    await shopper.page.getByText(/did not match a sign-in started in this tab/).waitFor({ timeout: SHOWS_WITHIN_MS });
    assert.is(provider.codesExchanged, exchanged, 'the code was not exchanged');
    assert.is(await shopper.page.getByText(/Signed in as/).count(), 0);
    assert.is(new URL(shopper.page.url()).search, '', 'the code is not left in the address bar');
    shopper.assertNoErrors('refusing the tampered answer');
  } finally {
    await shopper.context.close();
  }
});

test.run();
