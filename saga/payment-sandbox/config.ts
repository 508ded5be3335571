/** The payment sandbox's configuration, from the environment (see main.ts). */
import { z } from 'zod';
import { port } from '../../platform/config';

export const paymentSandboxEnv = z.object({
  PAYMENT_SANDBOX_PORT: port(3003),
  PAYMENT_SANDBOX_HOST: z.string().default('0.0.0.0'),
  PAYMENT_SANDBOX_LATENCY_MS: z.string().regex(/^\d+$/, 'must be a whole number of milliseconds').transform(Number).default(0),
});
