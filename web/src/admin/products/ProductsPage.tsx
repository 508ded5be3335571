/**
 * Products for staff: register one, change a price, receive stock — each form showing the API's
 * field errors beside its fields. The list follows `product` events, and re-reads after a change
 * at the position the command answered.
 */
import { useEffect, useState } from 'preact/hooks';
import { commands, minPositionHeader, outcome, queries, type LogPosition, type Product } from '../../app/api';
import { onLive } from '../../app/live';
import { formatMoney, minorUnitsToDecimal, fractionDigits, parseMoneyInput } from '../../app/money';
import { fieldsByPointer } from '../../app/problem';
import { Alert, PageHeading, ProblemAlert, TextField, useFormProblems, useQuery, VisuallyHidden } from '../../app/ui';

function RegisterProductForm({ onRegistered }: { onRegistered(position: LogPosition | null): void }) {
  const [sku, setSku] = useState('');
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problems = useFormProblems(
    fieldsByPointer({ '/sku': 'sku', '/name': 'name', '/price/amount': 'price', '/price/currency': 'currency', '/price': 'price' }),
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    const amount = parseMoneyInput(price, /^[A-Z]{3}$/.test(currency.trim()) ? currency.trim() : 'EUR');
    if (!amount.ok) return problems.showLocal({ price: [amount.message] });
    setBusy(true);
    const answer = await outcome(
      commands.POST('/products', { body: { sku: sku.trim(), name, price: { amount: amount.amount, currency: currency.trim() } } }),
    );
    setBusy(false);
    if (!answer.ok) return problems.show(answer.problem);
    problems.show(null);
    setDone(`Registered ${answer.data.sku}.`);
    setSku('');
    setName('');
    setPrice('');
    onRegistered(answer.data.position);
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-labelledby="register-heading" noValidate class="card">
      <h2 id="register-heading">Register a product</h2>
      <TextField label="SKU" value={sku} onValue={setSku} errors={problems.fields.sku} autoComplete="off" />
      <TextField label="Name" value={name} onValue={setName} errors={problems.fields.name} autoComplete="off" />
      <div class="field-row">
        <TextField
          label="Price"
          value={price}
          onValue={setPrice}
          errors={problems.fields.price}
          inputMode="decimal"
          hint="e.g. 12.99"
          autoComplete="off"
        />
        <TextField
          label="Currency"
          value={currency}
          onValue={(value) => setCurrency(value.toUpperCase())}
          errors={problems.fields.currency}
          maxLength={3}
          class="short"
          autoComplete="off"
        />
      </div>
      <Alert messages={problems.general} />
      <button type="submit" class="primary" disabled={busy}>
        Register product
      </button>
      <p role="status" class="success">
        {done}
      </p>
    </form>
  );
}

function ManageProduct({ product, onChanged }: { product: Product; onChanged(position: LogPosition | null): void }) {
  const digits = fractionDigits(product.price.currency);
  const [price, setPrice] = useState(minorUnitsToDecimal(product.price.amount, digits));
  const [quantity, setQuantity] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const priceProblems = useFormProblems(fieldsByPointer({ '/price': 'price', '/sku': 'price' }));
  const stockProblems = useFormProblems(fieldsByPointer({ '/quantity': 'quantity', '/sku': 'quantity' }));
  const [busy, setBusy] = useState(false);

  const changePrice = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    const amount = parseMoneyInput(price, product.price.currency);
    if (!amount.ok) return priceProblems.showLocal({ price: [amount.message] });
    setBusy(true);
    const answer = await outcome(
      commands.PUT('/products/{sku}/price', {
        params: { path: { sku: product.sku } },
        body: { price: { amount: amount.amount, currency: product.price.currency } },
      }),
    );
    setBusy(false);
    if (!answer.ok) return priceProblems.show(answer.problem);
    priceProblems.show(null);
    setDone(answer.data.position ? `Price of ${product.sku} changed.` : `The price of ${product.sku} was already that.`);
    onChanged(answer.data.position);
  };

  const receiveStock = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    const units = Number(quantity);
    if (quantity.trim() === '' || !Number.isInteger(units)) return stockProblems.showLocal({ quantity: ['Enter a whole number of units'] });
    setBusy(true);
    const answer = await outcome(
      commands.POST('/products/{sku}/stock', { params: { path: { sku: product.sku } }, body: { quantity: units } }),
    );
    setBusy(false);
    if (!answer.ok) return stockProblems.show(answer.problem);
    stockProblems.show(null);
    setQuantity('');
    setDone(`Received ${units} × ${product.sku}.`);
    onChanged(answer.data.position);
  };

  return (
    <section class="card manage" aria-labelledby="manage-heading">
      <h2 id="manage-heading">
        {product.name} <span class="sku">({product.sku})</span>
      </h2>
      <p>
        {formatMoney(product.price)} · {product.stock.onHand} on hand, {product.stock.reserved} reserved, {product.stock.available}{' '}
        available, {product.stock.sold} sold
      </p>
      <div class="forms">
        <form onSubmit={(event) => void changePrice(event)} noValidate aria-label={`Change the price of ${product.sku}`}>
          <TextField
            label={`New price (${product.price.currency})`}
            value={price}
            onValue={setPrice}
            errors={priceProblems.fields.price}
            inputMode="decimal"
            autoComplete="off"
          />
          <Alert messages={priceProblems.general} />
          <button type="submit" disabled={busy}>
            Change price
          </button>
        </form>
        <form onSubmit={(event) => void receiveStock(event)} noValidate aria-label={`Receive stock of ${product.sku}`}>
          <TextField
            label="Units received"
            value={quantity}
            onValue={setQuantity}
            errors={stockProblems.fields.quantity}
            inputMode="numeric"
            autoComplete="off"
          />
          <Alert messages={stockProblems.general} />
          <button type="submit" disabled={busy}>
            Receive stock
          </button>
        </form>
      </div>
      <p role="status" class="success">
        {done}
      </p>
    </section>
  );
}

export function ProductsPage() {
  const [position, setPosition] = useState<LogPosition | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const list = useQuery(
    () => outcome(queries.GET('/products', { params: { query: { limit: 500 }, header: minPositionHeader(position) } })),
    [position],
  );

  useEffect(
    () =>
      onLive('product', (product) =>
        list.update((current) => {
          if (!current) return current;
          const known = current.items.some((item) => item.sku === product.sku);
          const items = known
            ? current.items.map((item) => (item.sku === product.sku && item.updatedAt <= product.updatedAt ? product : item))
            : [...current.items, product].sort((a, b) => (a.sku < b.sku ? -1 : 1));
          return { ...current, items };
        }),
      ),
    [],
  );

  const products = list.data?.items ?? [];
  const chosen = products.find((product) => product.sku === selected);
  return (
    <>
      <PageHeading>Products</PageHeading>
      <RegisterProductForm onRegistered={setPosition} />
      <h2>Catalogue and stock</h2>
      <ProblemAlert problem={list.problem} prefix="The products could not be read" />
      {list.loading && !list.data && <p role="status">Loading products…</p>}
      {list.data && products.length === 0 && <p>No products yet: register the first one above.</p>}
      {products.length > 0 && (
        <div class="table-scroll" tabIndex={0}>
          <table aria-label="Products">
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Name</th>
                <th scope="col">Price</th>
                <th scope="col">On hand</th>
                <th scope="col">Reserved</th>
                <th scope="col">Available</th>
                <th scope="col">Sold</th>
                <th scope="col">
                  <VisuallyHidden>Manage</VisuallyHidden>
                </th>
              </tr>
            </thead>
            <tbody>
              {products.map((product) => (
                <tr key={product.sku} aria-current={product.sku === selected ? 'true' : undefined}>
                  <th scope="row">{product.sku}</th>
                  <td>{product.name}</td>
                  <td>{formatMoney(product.price)}</td>
                  <td>{product.stock.onHand}</td>
                  <td>{product.stock.reserved}</td>
                  <td>{product.stock.available}</td>
                  <td>{product.stock.sold}</td>
                  <td>
                    <button type="button" onClick={() => setSelected(product.sku)} aria-pressed={product.sku === selected}>
                      Manage<VisuallyHidden> {product.sku}</VisuallyHidden>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data?.nextCursor && <p class="hint">Showing the first {products.length} products.</p>}
      {chosen && <ManageProduct key={chosen.sku} product={chosen} onChanged={setPosition} />}
    </>
  );
}
