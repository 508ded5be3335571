/**
 * The payment sandbox as a process: `npm run start:payment-sandbox`.
 *   PAYMENT_SANDBOX_KEY (required, at least 32 characters): every call but /health carries it
 *   (`Authorization: Bearer <key>` or `X-Sandbox-Key`); the saga sends it;
 *   PAYMENT_SANDBOX_PORT (default 3003), PAYMENT_SANDBOX_HOST (default 0.0.0.0),
 *   PAYMENT_SANDBOX_LATENCY_MS (default 0): added to every answer.
 */
import { loadConfigOrExit } from '../../platform/config';
import { paymentSandboxEnv } from './config';
import { createPaymentSandbox } from './server';

const config = loadConfigOrExit(paymentSandboxEnv);

const sandbox = createPaymentSandbox({ key: config.PAYMENT_SANDBOX_KEY, latencyMs: config.PAYMENT_SANDBOX_LATENCY_MS, logger: true });
await sandbox.app.listen({ port: config.PAYMENT_SANDBOX_PORT, host: config.PAYMENT_SANDBOX_HOST });
process.stdout.write(
  'Payment sandbox: tok_ok approves, tok_decline declines, tok_timeout never answers, tok_flaky fails twice with 503 then approves\n',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    sandbox.app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
