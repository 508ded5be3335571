/**
 * The catalogue: every product with its price and what is available, stock changing live from
 * `product` events; "Add to cart" with a quantity.
 */
import { useEffect, useState } from 'preact/hooks';
import { outcome, queries, type Product } from '../../app/api';
import { onLive } from '../../app/live';
import { formatMoney } from '../../app/money';
import type { Problem } from '../../app/problem';
import { href } from '../../app/router';
import { PageHeading, ProblemAlert, useId, useQuery, VisuallyHidden } from '../../app/ui';
import { addToCart, cartLines } from '../cart/cart';

interface Page {
  items: Product[];
  nextCursor: string | null;
}

function availabilityText(product: Product): string {
  const available = product.stock.available;
  return available <= 0 ? 'Out of stock' : `${available} available`;
}

function ProductCard({ product }: { product: Product }) {
  const [quantity, setQuantity] = useState('1');
  const [added, setAdded] = useState<string | null>(null);
  const quantityId = useId('quantity');
  const inCart = cartLines.value.find((line) => line.sku === product.sku)?.quantity ?? 0;
  const wanted = Number(quantity);
  const valid = Number.isInteger(wanted) && wanted >= 1;
  const soldOut = product.stock.available <= 0;
  return (
    <li class="card product">
      <h2>{product.name}</h2>
      <p class="sku">SKU {product.sku}</p>
      <p class="price">{formatMoney(product.price)}</p>
      <p class={soldOut ? 'availability sold-out' : 'availability'} data-testid="availability">
        {availabilityText(product)}
      </p>
      <form
        class="add-to-cart"
        onSubmit={(event) => {
          event.preventDefault();
          if (!valid) return;
          addToCart(product, wanted);
          setAdded(`${wanted} × ${product.name} added to the cart`);
        }}
      >
        <div class="field inline">
          <label for={quantityId}>
            Quantity<VisuallyHidden> of {product.name}</VisuallyHidden>
          </label>
          <input
            id={quantityId}
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={quantity}
            onInput={(event) => setQuantity(event.currentTarget.value)}
          />
        </div>
        <button type="submit" disabled={!valid || soldOut}>
          Add<VisuallyHidden> {product.name}</VisuallyHidden> to cart
        </button>
      </form>
      <p class="hint" role="status">
        {added ?? (inCart ? `${inCart} in your cart` : '')}
      </p>
    </li>
  );
}

export function CataloguePage() {
  const [pages, setPages] = useState<Page[]>([]);
  const first = useQuery(() => outcome(queries.GET('/products', { params: { query: { limit: 50 } } })), []);
  const [more, setMore] = useState<{ loading: boolean; problem: Problem | null }>({ loading: false, problem: null });

  // A fresh first page (mount, reconnect, Retry) replaces whatever was paged before.
  useEffect(() => {
    if (first.data) setPages([first.data]);
  }, [first.data]);

  useEffect(
    () =>
      onLive('product', (product) =>
        setPages((current) =>
          current.map((page) => ({
            ...page,
            items: page.items.map((item) => (item.sku === product.sku && item.updatedAt <= product.updatedAt ? product : item)),
          })),
        ),
      ),
    [],
  );

  const products = pages.flatMap((page) => page.items);
  const cursor = pages.at(-1)?.nextCursor ?? null;
  const loadMore = async () => {
    if (!cursor) return;
    setMore({ loading: true, problem: null });
    const answer = await outcome(queries.GET('/products', { params: { query: { limit: 50, cursor } } }));
    setMore({ loading: false, problem: answer.ok ? null : answer.problem });
    if (answer.ok) setPages((current) => [...current, answer.data]);
  };

  return (
    <>
      <PageHeading>Catalogue</PageHeading>
      <ProblemAlert problem={first.problem} prefix="The catalogue could not be read" />
      {first.loading && !pages.length && <p role="status">Loading the catalogue…</p>}
      {!first.loading && pages.length > 0 && products.length === 0 && <p>No products yet.</p>}
      <ul class="cards" aria-label="Products">
        {products.map((product) => (
          <ProductCard key={product.sku} product={product} />
        ))}
      </ul>
      {cursor && (
        <button type="button" onClick={() => void loadMore()} disabled={more.loading}>
          More products
        </button>
      )}
      <ProblemAlert problem={more.problem} />
      {cartLines.value.length > 0 && (
        <p>
          <a href={href('cart')}>Go to checkout</a>
        </p>
      )}
    </>
  );
}
