import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCapturingLogger } from './http/testing';
import { withCausation } from './logger';

test('a causation child logger puts the correlation and causation ids on every line', () => {
  const { logger, lines } = createCapturingLogger();
  withCausation(logger, { correlationId: 'corr-7', causationId: 'evt-3' }).info({ orderId: 'o-1' }, 'reserving stock');
  withCausation(logger, { correlationId: 'corr-8' }).warn('no causation yet');
  assert.equal(
    lines.map(({ service, level, correlationId, causationId, orderId, msg }) => ({ service, level, correlationId, causationId, orderId, msg })),
    [
      { service: 'test', level: 30, correlationId: 'corr-7', causationId: 'evt-3', orderId: 'o-1', msg: 'reserving stock' },
      { service: 'test', level: 40, correlationId: 'corr-8', causationId: undefined, orderId: undefined, msg: 'no causation yet' },
    ],
  );
  assert.type(lines[0]?.time, 'string');
});

test('authorization headers never reach the log', () => {
  const { logger, lines } = createCapturingLogger();
  logger.info({ req: { headers: { authorization: 'Bearer secret-token', accept: 'application/json' } } }, 'incoming');
  assert.equal(lines[0]?.req, { headers: { authorization: '[redacted]', accept: 'application/json' } });
});

test('the level filters lines', () => {
  const { logger, lines } = createCapturingLogger('warn');
  logger.info('hidden');
  logger.error('shown');
  assert.equal(lines.map((line) => line.msg), ['shown']);
});

test.run();
