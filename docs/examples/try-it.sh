#!/usr/bin/env bash
# Try the shop against a running system (`npm start`, or the services one by one): register a
# product, stock it, place an order as a customer, read it back with read-your-writes, follow its
# checkout, list notifications, and see the admin's sales figures. Needs curl and jq, and
# JWT_SECRET as the services have it (`npm start` prints tokens signed with its own).
# (test/readme-walkthrough.e2e.test.ts runs this file against a real system.)
set -euo pipefail
COMMAND_API=${COMMAND_API:-http://localhost:3001}
QUERY_API=${QUERY_API:-http://localhost:3002}
SKU=${SKU:-MUG-1}

ADMIN=$(npm run -s token -- --sub ada --role admin)
ALICE=$(npm run -s token -- --sub alice --role customer)
json=(-H 'content-type: application/json')

# Register a product (price in minor units) and receive stock: admin only.
curl -sf "$COMMAND_API/products" -H "authorization: Bearer $ADMIN" "${json[@]}" \
  -d "{\"sku\":\"$SKU\",\"name\":\"Blue mug\",\"price\":{\"amount\":1299,\"currency\":\"EUR\"}}"; echo
curl -sf "$COMMAND_API/products/$SKU/stock" -H "authorization: Bearer $ADMIN" "${json[@]}" -d '{"quantity":10}'; echo

# Place an order: 202 with the order id and the log position of what was written.
placed=$(curl -sf "$COMMAND_API/orders" -H "authorization: Bearer $ALICE" "${json[@]}" \
  -H "idempotency-key: first-order-$SKU" -d "{\"lines\":[{\"sku\":\"$SKU\",\"quantity\":2}],\"paymentToken\":\"tok_ok\"}")
echo "$placed"
order=$(jq -r .orderId <<<"$placed")
position=$(jq -r .position.commit <<<"$placed")

# Read your own write: the query API waits until the orders read model has applied that position.
curl -sf "$QUERY_API/orders/$order" -H "authorization: Bearer $ALICE" -H "x-min-position: $position" | jq -c '{orderId, status, total}'

# The checkout runs in the saga: wait for it to end, then show the order and its timeline.
for _ in $(seq 1 100); do
  status=$(curl -sf "$QUERY_API/checkouts/$order" -H "authorization: Bearer $ALICE" | jq -r .status) || status=pending
  [[ $status == completed || $status == compensated ]] && break
  sleep 0.1
done
echo "checkout $status"
curl -sf "$QUERY_API/orders/$order" -H "authorization: Bearer $ALICE" | jq -c '{status, payment, timeline: [.timeline[].type]}'

# Stock, notifications, and (for admins) sales.
curl -sf "$QUERY_API/products/$SKU" -H "authorization: Bearer $ALICE" | jq -c '{sku} + .stock'
curl -sf "$QUERY_API/notifications" -H "authorization: Bearer $ALICE" | jq -c '[.items[] | {type, orderId}]'
curl -sf "$QUERY_API/stats/sales?sku=$SKU" -H "authorization: Bearer $ADMIN" | jq -c '.totals'
