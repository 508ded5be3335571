/**
 * A command the domain refuses. Every code is a rule a user (or the saga) can break, so the
 * command API answers it with 422 and the code; anything else thrown from a decider is a bug.
 */
export type DomainErrorCode =
  // the command itself is malformed or self-contradictory (bad shape, mixed currencies, duplicate SKUs)
  | 'validation'
  // inventory
  | 'not_registered'
  | 'already_registered'
  | 'currency_mismatch'
  | 'reservation_not_found'
  | 'stock_already_committed'
  // order
  | 'order_not_found'
  | 'order_already_placed'
  | 'order_already_final'
  | 'not_order_customer'
  | 'cancellation_requested'
  | 'cancellation_not_requested'
  // payment
  | 'payment_not_authorized'
  | 'payment_already_processed'
  | 'payment_already_captured'
  | 'payment_not_captured'
  | 'payment_voided';

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { code: DomainErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/**
 * Stored event data that this code cannot read: an unknown type, a schema version it does not
 * know (e.g. written by a newer release), or data that does not match its schema. Not a
 * DomainError: it is never the user's fault, and a projector or saga must stop rather than skip.
 */
export class EventSchemaError extends Error {
  override readonly name = 'EventSchemaError';

  constructor(
    readonly eventType: string,
    readonly schemaVersion: unknown,
    message: string,
  ) {
    super(message);
  }
}
