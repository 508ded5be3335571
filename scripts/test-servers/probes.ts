/**
 * Whether PostgreSQL and NATS answer where the tests look, as the tests use them: a real
 * `SELECT 1` in the tests' database, and a JetStream account-info request (the notifier publishes
 * to JetStream, so NATS without `-js` is as useless to the tests as no NATS).
 */
import { connect } from 'nats';
import pg from 'pg';

export type Probe =
  /** Usable by the tests. */
  | { state: 'up' }
  /** Nothing listens there: the preflight may start a server. */
  | { state: 'down' }
  /** Something is there (or the host does not answer), but the tests cannot use it, and another server cannot take its port. */
  | { state: 'unusable'; reason: string };

export async function probePostgres(url: string, timeoutMs = 3000): Promise<Probe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return { state: 'up' };
  } catch (error) {
    if (refused(error)) return { state: 'down' };
    return { state: 'unusable', reason: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeNats(url: string, timeoutMs = 2000): Promise<Probe> {
  let connection;
  try {
    connection = await connect({ servers: url.split(',').map((server) => server.trim()), timeout: timeoutMs, reconnect: false });
  } catch (error) {
    if ((error as { code?: string }).code === 'CONNECTION_REFUSED' || refused(error)) return { state: 'down' };
    return { state: 'unusable', reason: (error as Error).message };
  }
  try {
    const manager = await connection.jetstreamManager({ timeout: timeoutMs });
    await manager.getAccountInfo();
    return { state: 'up' };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { state: 'unusable', reason: code === '503' ? 'JetStream is off' : `JetStream does not answer: ${(error as Error).message}` };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function refused(error: unknown): boolean {
  const { code, errors } = error as { code?: string; errors?: Array<{ code?: string }> };
  // `localhost` is tried on ::1 and 127.0.0.1: Node reports both refusals as one AggregateError.
  return code === 'ECONNREFUSED' || (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => inner.code === 'ECONNREFUSED'));
}
