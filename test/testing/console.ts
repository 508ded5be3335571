/**
 * What a person does in the console, in the words it shows them: sign in, find a page in the
 * navigation, put products in the cart, place an order. Elements are found by role, label and
 * text, as a user (or a screen reader) finds them — so a test breaks when the console stops
 * saying what it should, not when its markup moves.
 */
import type { Locator, Page } from 'playwright-core';

/** How long the console may take to show what the system did (a checkout, a notification). */
export const SHOWS_WITHIN_MS = 15_000;

export interface SignInAs {
  user: string;
  role: 'customer' | 'admin';
}

/** Opens the console at `webUrl` and signs in with the development sign-in; waits for the live connection. */
export async function signIn(page: Page, webUrl: string, { user, role }: SignInAs): Promise<void> {
  await page.goto(`${webUrl}/#/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`Signed in as ${user} (${role})`).waitFor({ timeout: SHOWS_WITHIN_MS });
  await waitUntilLive(page);
}

/** The header's live indicator says the socket is connected. */
export async function waitUntilLive(page: Page): Promise<void> {
  await liveState(page)
    .filter({ hasText: /^Live$/ })
    .waitFor({ timeout: SHOWS_WITHIN_MS });
}

export function liveState(page: Page): Locator {
  return page.getByTestId('live-state');
}

/** The main navigation's link to a page (its name starts with `name`, e.g. "Notifications 2 unread"). */
export function navLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}\\b`) });
}

/** Follows the navigation to a page and waits for its heading. */
export async function openFromNavigation(page: Page, link: string, heading: string | RegExp = link): Promise<void> {
  await navLink(page, link).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

export async function openNotifications(page: Page): Promise<void> {
  await openFromNavigation(page, 'Notifications');
}

/** The unread count in the navigation's Notifications link. */
export async function unreadCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('unread-count').textContent());
}

/** On the catalogue: puts `quantity` of the product named `name` in the cart. */
export async function addToCart(page: Page, name: string, quantity = 1): Promise<void> {
  const card = page
    .getByRole('list', { name: 'Products' })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name, exact: true }) });
  await card.getByLabel(`Quantity of ${name}`).fill(String(quantity));
  await card.getByRole('button', { name: `Add ${name} to cart` }).click();
  await card.getByText(`${quantity} × ${name} added to the cart`).waitFor();
}

/** On the cart: chooses the test card and places the order; answers the order id from the order page's address. */
export async function placeOrderWith(page: Page, card: 'tok_ok' | 'tok_decline' | 'tok_timeout' | 'tok_flaky'): Promise<string> {
  await page
    .getByRole('group', { name: 'Test card' })
    .getByRole('radio', { name: new RegExp(`^${card} `) })
    .check();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/#\/orders\/[^/]+$/, { timeout: SHOWS_WITHIN_MS });
  const orderId = decodeURIComponent(/#\/orders\/([^/]+)$/.exec(page.url())![1]!);
  await page.getByRole('heading', { level: 1, name: `Order ${orderId}` }).waitFor();
  return orderId;
}

/** The order page's status badge. */
export function orderStatus(page: Page): Locator {
  return page.getByTestId('order-status');
}
