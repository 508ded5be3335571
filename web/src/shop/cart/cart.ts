/**
 * The customer's cart: lines of a SKU and a quantity, kept in sessionStorage per user so a reload
 * keeps it. The price shown is the catalogue's; the order's price is the shop's at placing time
 * (the command API reads it), so the cart never sends one.
 *
 * The Idempotency-Key for placing is made when the cart is first placed and kept until the cart
 * changes or the order is accepted: a retry after a lost answer (or a double click) places the
 * same order once.
 */
import { computed, signal } from '@preact/signals';
import type { Money } from '../../app/money';

export interface CartLine {
  sku: string;
  name: string;
  price: Money;
  quantity: number;
}

export const cartLines = signal<CartLine[]>([]);
export const cartCount = computed(() => cartLines.value.reduce((sum, line) => sum + line.quantity, 0));
let owner: string | null = null;
let placingKey: string | null = null;

const storageKey = (sub: string) => `checkout-console.cart.${sub}`;

function save(lines: CartLine[]): void {
  cartLines.value = lines;
  placingKey = null;
  if (owner) sessionStorage.setItem(storageKey(owner), JSON.stringify(lines));
}

export function loadCart(sub: string | null): void {
  owner = sub;
  placingKey = null;
  if (!sub) {
    cartLines.value = [];
    return;
  }
  try {
    const stored: unknown = JSON.parse(sessionStorage.getItem(storageKey(sub)) ?? '[]');
    cartLines.value = Array.isArray(stored) ? (stored as CartLine[]) : [];
  } catch {
    cartLines.value = [];
  }
}

export function addToCart(product: { sku: string; name: string; price: Money }, quantity: number): void {
  const lines = cartLines.peek();
  const existing = lines.find((line) => line.sku === product.sku);
  save(
    existing
      ? lines.map((line) => (line.sku === product.sku ? { ...line, quantity: line.quantity + quantity } : line))
      : [...lines, { sku: product.sku, name: product.name, price: product.price, quantity }],
  );
}

export function setQuantity(sku: string, quantity: number): void {
  save(cartLines.peek().map((line) => (line.sku === sku ? { ...line, quantity } : line)));
}

export function removeFromCart(sku: string): void {
  save(cartLines.peek().filter((line) => line.sku !== sku));
}

export function emptyCart(): void {
  save([]);
}

export function idempotencyKeyForPlacing(): string {
  placingKey ??= crypto.randomUUID();
  return placingKey;
}
