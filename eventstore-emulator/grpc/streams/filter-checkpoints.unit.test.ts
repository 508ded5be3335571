import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FilterCheckpoints } from './filter-checkpoints';

/** Feeds positions 10, 20, 30, … (delivered when `matches(i)`) and collects the checkpoints. */
function scan(checkpoints: FilterCheckpoints, count: number, matches: (i: number) => boolean, first = 1): bigint[] {
  const sent: bigint[] = [];
  for (let i = first; i < first + count; i++) {
    const checkpoint = checkpoints.consider(BigInt(i * 10), matches(i));
    if (checkpoint !== undefined) sent.push(checkpoint);
  }
  return sent;
}

test('every interval of considered records yields a checkpoint at the last one, matched or not', () => {
  const checkpoints = new FilterCheckpoints(3);
  assert.equal(
    scan(checkpoints, 10, (i) => i === 2),
    [30n, 60n, 90n],
  );
});

test('end of catch-up: one checkpoint at the furthest event or checkpoint sent, else the last scanned record', () => {
  const afterEvent = new FilterCheckpoints(4);
  scan(afterEvent, 6, (i) => i === 5);
  // Checkpoint at 40 (4th record), event at 50: the end-of-catch-up checkpoint is 50.
  assert.is(afterEvent.endOfCatchUp(), 50n);

  const nothingDelivered = new FilterCheckpoints(32);
  scan(nothingDelivered, 5, () => false);
  assert.is(nothingDelivered.endOfCatchUp(), 50n);

  const nothingScanned = new FilterCheckpoints(32);
  assert.is(nothingScanned.endOfCatchUp(), undefined);
});

test('a checkpoint equal to the previous one is dropped, and counting restarts after catch-up', () => {
  const checkpoints = new FilterCheckpoints(2);
  assert.equal(
    scan(checkpoints, 4, (i) => i === 3),
    [20n, 40n],
  );
  assert.is(checkpoints.endOfCatchUp(), undefined); // would repeat 40
  // Live: one record is not a full interval; the second is.
  assert.equal(
    scan(checkpoints, 3, () => false, 5),
    [60n],
  );
});

test.run();
