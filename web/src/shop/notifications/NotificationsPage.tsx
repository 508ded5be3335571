/**
 * The user's notifications, newest first, live. Being on this page is reading them: the newest
 * one shown becomes the last seen, so the unread count in the header drops to zero.
 */
import { useEffect } from 'preact/hooks';
import { formatTime } from '../../app/format';
import { notifications, viewingNotifications } from '../../app/notifications';
import { href } from '../../app/router';
import { PageHeading } from '../../app/ui';
import { notificationText } from './notification-text';

export function NotificationsPage() {
  useEffect(() => {
    viewingNotifications(true);
    return () => viewingNotifications(false);
  }, []);
  const items = [...notifications.value].reverse();
  return (
    <>
      <PageHeading>Notifications</PageHeading>
      {items.length === 0 ? (
        <p>No notifications yet.</p>
      ) : (
        <ol class="notifications" aria-label="Notifications, newest first">
          {items.map((notification) => (
            <li key={notification.id} class={`notification notification-${notification.type}`}>
              <time dateTime={notification.at}>{formatTime(notification.at)}</time>
              <span>{notificationText(notification)}</span>
              {notification.orderId && <a href={href('orders', notification.orderId)}>Order {notification.orderId.slice(0, 8)}</a>}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
