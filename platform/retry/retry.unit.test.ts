import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay, retry } from '.';

test('backoff: the ceiling doubles per failure up to the cap; full jitter draws below it, none waits the ceiling', () => {
  const backoff = { initialMs: 10, maxMs: 50 };
  assert.equal(
    [1, 2, 3, 4, 5].map((failures) => backoffDelay({ ...backoff, jitter: 'none' }, failures)),
    [10, 20, 40, 50, 50],
  );
  assert.equal(
    [1, 2, 3, 4].map((failures) => backoffDelay(backoff, failures, () => 0.5)),
    [5, 10, 20, 25],
  );
  assert.is(
    backoffDelay(backoff, 3, () => 0),
    0,
  );
});

test('retry: retries what the predicate allows, up to the attempts, then throws the last error', async () => {
  const policy = { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 1 } };
  let calls = 0;
  const waits: number[] = [];
  const error = await retry(
    async (attempt) => {
      calls++;
      throw new Error(`attempt ${attempt}`);
    },
    policy,
    { shouldRetry: () => true, onRetry: (_error, _attempt, delayMs) => waits.push(delayMs), random: () => 1 },
  ).catch((caught: Error) => caught);
  assert.is(calls, 3);
  assert.is(error.message, 'attempt 3');
  assert.equal(waits, [1, 1]);

  calls = 0;
  const refused = await retry(
    async () => {
      calls++;
      throw new Error('not retryable');
    },
    policy,
    { shouldRetry: () => false },
  ).catch((caught: Error) => caught);
  assert.is(calls, 1);
  assert.is(refused.message, 'not retryable');

  assert.is(
    await retry(async (attempt) => (attempt < 2 ? Promise.reject(new Error('once')) : attempt), policy, { shouldRetry: () => true }),
    2,
  );
});

test('retry: an aborted signal ends the wait', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  const error = await retry(
    () => Promise.reject(new Error('fails')),
    { maxAttempts: 5, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 'none' } },
    {
      shouldRetry: () => true,
      signal: controller.signal,
    },
  ).catch((caught: Error) => caught);
  assert.is(error.message, 'stop');
});

test.run();
