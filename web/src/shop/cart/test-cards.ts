/** The payment sandbox's test cards (saga/payment-sandbox): one per path a checkout can take. */
export const testCards = [
  { token: 'tok_ok', label: 'tok_ok — approves' },
  { token: 'tok_decline', label: 'tok_decline — the bank declines' },
  { token: 'tok_timeout', label: 'tok_timeout — the bank never answers: the payment deadline cancels the order' },
  { token: 'tok_flaky', label: 'tok_flaky — fails twice, then approves' },
] as const;
