/** Every order as it happens: placed, then confirmed or cancelled (and why), newest first. */
import { OrderList } from '../../app/order-list';
import { PageHeading } from '../../app/ui';

export function OrdersFeedPage() {
  return (
    <>
      <PageHeading>Orders</PageHeading>
      <p class="hint">Live: new orders appear on top and their outcome changes as their checkout runs.</p>
      <OrderList showCustomer={true} label="Orders, newest first" />
    </>
  );
}
