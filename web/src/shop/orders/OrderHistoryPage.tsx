/** The customer's orders, newest first, live. */
import { OrderList } from '../../app/order-list';
import { PageHeading } from '../../app/ui';

export function OrderHistoryPage() {
  return (
    <>
      <PageHeading>Your orders</PageHeading>
      <OrderList showCustomer={false} label="Your orders" />
    </>
  );
}
