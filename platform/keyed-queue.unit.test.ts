import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedQueue } from './keyed-queue';

test('one task per key at a time, in order; other keys run alongside; a failure does not block the key', async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  let releaseFirst!: () => void;
  const first = queue.run('a', () => new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => log.push('a1')));
  const failing = queue.run('a', async () => {
    log.push('a2');
    throw new Error('a2 failed');
  });
  const third = queue.run('a', async () => log.push('a3'));
  await queue.run('b', async () => log.push('b1'));
  assert.equal(log, ['b1'], 'b ran while a was busy');
  releaseFirst();
  await first;
  assert.is(await failing.catch((error: Error) => error.message), 'a2 failed');
  await third;
  assert.equal(log, ['b1', 'a1', 'a2', 'a3']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(queue.size, 0, 'idle keys are forgotten');
});

test.run();
