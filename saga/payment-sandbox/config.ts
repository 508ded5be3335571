/** The payment sandbox's configuration, from the environment (see main.ts). */
import { z } from 'zod';
import { milliseconds, port } from '../../platform/config';

/** A provider's API is never open: every call but /health carries this key. */
export const paymentSandboxKey = z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)');

export const paymentSandboxEnv = z.object({
  PAYMENT_SANDBOX_KEY: paymentSandboxKey,
  PAYMENT_SANDBOX_PORT: port(3003),
  PAYMENT_SANDBOX_HOST: z.string().default('0.0.0.0'),
  PAYMENT_SANDBOX_LATENCY_MS: milliseconds(0, { min: 0 }),
});
