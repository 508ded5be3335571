import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { projectionTrouble, stuckSummary } from './operations-health';

const live = { name: 'orders', state: 'live', lagEvents: 0, lagSeconds: 0, failure: null };

test('a live projection without lag is no trouble', () => {
  assert.is(projectionTrouble(live), null);
  assert.equal(stuckSummary([live], 0), []);
});

test('a failed projection says so with its failure', () => {
  assert.is(
    projectionTrouble({ ...live, state: 'failed', failure: 'cannot apply event 42' }),
    'Projection orders is failed: cannot apply event 42',
  );
  assert.is(projectionTrouble({ ...live, state: 'retrying' }), 'Projection orders is retrying');
});

test('a live projection far behind is trouble too', () => {
  assert.is(projectionTrouble({ ...live, lagEvents: 5000, lagSeconds: 61.4 }), 'Projection orders is behind by 5000 events (61 s)');
});

test('parked events are counted', () => {
  assert.equal(stuckSummary([live], 1), ['1 saga event is parked']);
  assert.equal(stuckSummary([], 3), ['3 saga events are parked']);
});

test.run();
