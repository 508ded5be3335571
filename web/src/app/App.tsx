/** Which page for which route and role, and the session's live connections. */
import { useEffect } from 'preact/hooks';
import { CheckoutPage } from '../admin/checkouts/CheckoutPage';
import { OperationsPage } from '../admin/operations/OperationsPage';
import { OrdersFeedPage } from '../admin/orders/OrdersFeedPage';
import { ProductsPage } from '../admin/products/ProductsPage';
import { SalesPage } from '../admin/sales/SalesPage';
import { CartPage } from '../shop/cart/CartPage';
import { loadCart } from '../shop/cart/cart';
import { CataloguePage } from '../shop/catalogue/CataloguePage';
import { NotificationsPage } from '../shop/notifications/NotificationsPage';
import { OrderHistoryPage } from '../shop/orders/OrderHistoryPage';
import { OrderPage } from '../shop/orders/OrderPage';
import { SignInPage } from '../sign-in/SignInPage';
import { startLive, stopLive } from './live';
import { fetchNotifications, newestNotificationId, startNotifications, stopNotifications } from './notifications';
import { resync } from './reachability';
import { route } from './router';
import { session } from './session';
import { Shell } from './Shell';
import { PageHeading } from './ui';

function NotFound() {
  return (
    <>
      <PageHeading>Page not found</PageHeading>
      <p>
        There is no page at this address. <a href="#/">Go to the start</a>.
      </p>
    </>
  );
}

function CustomerPage() {
  const [first, second] = route.value;
  switch (first) {
    case undefined:
    case 'catalogue':
      return <CataloguePage />;
    case 'cart':
      return <CartPage />;
    case 'orders':
      return second ? <OrderPage key={second} orderId={second} /> : <OrderHistoryPage />;
    case 'notifications':
      return <NotificationsPage />;
    default:
      return <NotFound />;
  }
}

function AdminPage() {
  const [first, second, third] = route.value;
  if (first === 'orders' && second) return <OrderPage key={second} orderId={second} />;
  if (first === 'notifications') return <NotificationsPage />;
  if (first !== undefined && first !== 'admin') return <NotFound />;
  switch (second) {
    case undefined:
    case 'operations':
      return <OperationsPage />;
    case 'orders':
      return <OrdersFeedPage />;
    case 'checkouts':
      return <CheckoutPage key={third ?? ''} orderId={third} />;
    case 'products':
      return <ProductsPage />;
    case 'sales':
      return <SalesPage />;
    default:
      return <NotFound />;
  }
}

/** While signed in: notifications read once, then the socket, which catches up from the newest one. */
function useSessionConnections(): void {
  const current = session.value;
  const token = current?.token;
  const sub = current?.sub ?? null;
  useEffect(() => {
    loadCart(sub);
    if (!token || !sub) return;
    let stopped = false;
    startNotifications(sub);
    void fetchNotifications().then(() => {
      if (!stopped) startLive(token, newestNotificationId);
    });
    return () => {
      stopped = true;
      stopLive();
      stopNotifications();
    };
  }, [token, sub]);
  // After Retry or a reconnect: whatever the first read or the catch-up could not bring.
  const resyncs = resync.value;
  useEffect(() => {
    if (resyncs > 0 && token) void fetchNotifications();
  }, [resyncs]);
}

export function App() {
  useSessionConnections();
  const current = session.value;
  return <Shell>{!current ? <SignInPage /> : current.role === 'admin' ? <AdminPage /> : <CustomerPage />}</Shell>;
}
