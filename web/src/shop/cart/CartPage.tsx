/**
 * The cart and the checkout: lines with quantities, a test card, "Place order". Placing sends an
 * Idempotency-Key (a retry places one order), then opens the order page, which reads the order
 * at the position the command answered (X-Min-Position).
 */
import { useState } from 'preact/hooks';
import { commands, outcome } from '../../app/api';
import { formatMoney } from '../../app/money';
import { fieldsByPointer } from '../../app/problem';
import { href, navigate } from '../../app/router';
import { Alert, FieldErrors, PageHeading, useFormProblems, useId, VisuallyHidden } from '../../app/ui';
import { rememberWrite } from '../orders/written';
import { cartLines, emptyCart, idempotencyKeyForPlacing, removeFromCart, setQuantity, type CartLine } from './cart';
import { testCards } from './test-cards';

function CartLineRow({ line, index, errors }: { line: CartLine; index: number; errors: string[] | undefined }) {
  const id = useId('line');
  const [text, setText] = useState(String(line.quantity));
  return (
    <tr>
      <th scope="row">
        {line.name}
        <span class="sku"> {line.sku}</span>
      </th>
      <td>{formatMoney(line.price)}</td>
      <td>
        <label for={id} class="visually-hidden">
          Quantity of {line.name}
        </label>
        <input
          id={id}
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          class="quantity"
          value={text}
          aria-invalid={errors ? true : undefined}
          aria-describedby={errors ? `${id}-error` : undefined}
          data-line={index}
          onInput={(event) => {
            const value = event.currentTarget.value;
            setText(value);
            const quantity = Number(value);
            if (Number.isInteger(quantity) && quantity >= 1) setQuantity(line.sku, quantity);
          }}
        />
        <FieldErrors id={`${id}-error`} errors={errors} />
      </td>
      <td>{formatMoney({ amount: line.price.amount * line.quantity, currency: line.price.currency })}</td>
      <td>
        <button type="button" class="link-button" onClick={() => removeFromCart(line.sku)}>
          Remove<VisuallyHidden> {line.name}</VisuallyHidden>
        </button>
      </td>
    </tr>
  );
}

/** Totals per currency (a cart could mix them; the shop would refuse such an order, and says so). */
function totals(lines: CartLine[]): string {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.price.currency, (sums.get(line.price.currency) ?? 0) + line.price.amount * line.quantity);
  return [...sums].map(([currency, amount]) => formatMoney({ amount, currency })).join(' + ');
}

export function CartPage() {
  const lines = cartLines.value;
  const [card, setCard] = useState<string>('tok_ok');
  const [busy, setBusy] = useState(false);
  const problems = useFormProblems(
    fieldsByPointer({ '/lines/*/quantity': 'quantity-$1', '/lines/*/sku': 'quantity-$1', '/paymentToken': 'card' }),
  );
  const cardErrorId = useId('card-error');

  const place = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const answer = await outcome(
      commands.POST('/orders', {
        params: { header: { 'idempotency-key': idempotencyKeyForPlacing() } },
        body: { lines: lines.map(({ sku, quantity }) => ({ sku, quantity })), paymentToken: card },
      }),
    );
    setBusy(false);
    if (!answer.ok) return problems.show(answer.problem);
    problems.show(null);
    rememberWrite(answer.data.orderId, answer.data.position);
    emptyCart();
    navigate('orders', answer.data.orderId);
  };

  return (
    <>
      <PageHeading>Cart</PageHeading>
      {lines.length === 0 ? (
        <p>
          Your cart is empty. <a href={href('catalogue')}>Browse the catalogue</a>.
        </p>
      ) : (
        <form onSubmit={(event) => void place(event)} noValidate>
          <div class="table-scroll" tabIndex={0}>
            <table>
              <caption class="visually-hidden">Lines in your cart</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Price</th>
                  <th scope="col">Quantity</th>
                  <th scope="col">Subtotal</th>
                  <th scope="col">
                    <VisuallyHidden>Remove</VisuallyHidden>
                  </th>
                </tr>
              </thead>
              <tbody>
                {lines.map((line, index) => (
                  <CartLineRow key={line.sku} line={line} index={index} errors={problems.fields[`quantity-${index}`]} />
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={3}>
                    Total
                  </th>
                  <td data-testid="cart-total">{totals(lines)}</td>
                  <td />
                </tr>
              </tfoot>
            </table>
          </div>
          <fieldset aria-describedby={problems.fields.card ? cardErrorId : undefined}>
            <legend>Test card</legend>
            {testCards.map((option) => (
              <label key={option.token} class="radio">
                <input
                  type="radio"
                  name="card"
                  value={option.token}
                  checked={card === option.token}
                  onChange={() => setCard(option.token)}
                />
                {option.label}
              </label>
            ))}
            <FieldErrors id={cardErrorId} errors={problems.fields.card} />
          </fieldset>
          <Alert messages={problems.general} />
          <button type="submit" class="primary" disabled={busy}>
            Place order
          </button>
          {busy && <p role="status">Placing your order…</p>}
        </form>
      )}
    </>
  );
}
