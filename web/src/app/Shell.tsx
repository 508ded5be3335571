/**
 * The frame of every page: header (the shop, who is signed in and until when, the live
 * connection), navigation for the role, the "cannot be reached" banner, and the page in <main>.
 */
import type { ComponentChildren } from 'preact';
import { isAdmin, session, endSession } from './session';
import { liveState } from './live';
import { unread } from './notifications';
import { retryNow, shopUnreachable } from './reachability';
import { href, route } from './router';
import { cartCount } from '../shop/cart/cart';
import { VisuallyHidden } from './ui';

function NavLink({ to, children, current }: { to: string[]; children: ComponentChildren; current: boolean }) {
  return (
    <li>
      <a href={href(...to)} aria-current={current ? 'page' : undefined}>
        {children}
      </a>
    </li>
  );
}

function Navigation() {
  const [first, second] = route.value;
  const here = (...path: string[]) => path.every((part, i) => route.value[i] === part);
  const unreadCount = unread.value;
  const notificationsLink = (
    <NavLink to={['notifications']} current={first === 'notifications'}>
      Notifications{' '}
      <span class={unreadCount ? 'count' : 'count zero'} data-testid="unread-count">
        {unreadCount}
      </span>
      <VisuallyHidden> unread</VisuallyHidden>
    </NavLink>
  );
  if (isAdmin.value) {
    return (
      <nav aria-label="Main">
        <ul>
          <NavLink to={['admin', 'operations']} current={here('admin', 'operations') || (first === 'admin' && !second) || !first}>
            Operations
          </NavLink>
          <NavLink to={['admin', 'orders']} current={here('admin', 'orders') || first === 'orders'}>
            Orders
          </NavLink>
          <NavLink to={['admin', 'checkouts']} current={here('admin', 'checkouts')}>
            Checkouts
          </NavLink>
          <NavLink to={['admin', 'products']} current={here('admin', 'products')}>
            Products
          </NavLink>
          <NavLink to={['admin', 'sales']} current={here('admin', 'sales')}>
            Sales
          </NavLink>
          {notificationsLink}
        </ul>
      </nav>
    );
  }
  return (
    <nav aria-label="Main">
      <ul>
        <NavLink to={['catalogue']} current={first === 'catalogue' || !first}>
          Catalogue
        </NavLink>
        <NavLink to={['cart']} current={first === 'cart'}>
          Cart <span class={cartCount.value ? 'count' : 'count zero'}>{cartCount.value}</span>
          <VisuallyHidden> items</VisuallyHidden>
        </NavLink>
        <NavLink to={['orders']} current={first === 'orders'}>
          Orders
        </NavLink>
        {notificationsLink}
      </ul>
    </nav>
  );
}

const liveText = { offline: 'Offline', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;

function SessionBar() {
  const current = session.value;
  if (!current) return null;
  return (
    <div class="session">
      <span>
        Signed in as <strong>{current.sub}</strong> ({current.role})
      </span>
      <span data-testid="token-expiry">
        {current.expiresAt ? `Token expires ${current.expiresAt.toLocaleString()}` : 'Token does not expire'}
      </span>
      <span class={`live live-${liveState.value}`} data-testid="live-state">
        {liveText[liveState.value]}
      </span>
      <button type="button" class="link-button" onClick={() => endSession('You signed out.')}>
        Sign out
      </button>
    </div>
  );
}

export function UnreachableBanner() {
  if (!shopUnreachable.value) return null;
  return (
    <div class="banner" role="alert">
      <p>The shop cannot be reached. What you see may be out of date; changes cannot be sent until it answers again.</p>
      <button type="button" onClick={retryNow}>
        Retry
      </button>
    </div>
  );
}

export function Shell({ children }: { children: ComponentChildren }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="brand">
          <a href="#/">Checkout console</a>
        </div>
        <SessionBar />
        {session.value && <Navigation />}
      </header>
      <UnreachableBanner />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
