/**
 * Operations: what is stuck at the top (projections not live or lagging, parked saga events),
 * with the action that fixes it beside it; then each projection's state, checkpoint and lag, the
 * parked events, and the low-stock alerts as they arrive. Projections and parked events are
 * re-read every 5 s while the page is open (they have no live events).
 */
import { useEffect, useState } from 'preact/hooks';
import { commands, outcome, queries } from '../../app/api';
import { formatTime } from '../../app/format';
import { notifications } from '../../app/notifications';
import type { Problem } from '../../app/problem';
import { PageHeading, ProblemAlert, useQuery } from '../../app/ui';
import { notificationText } from '../../shop/notifications/notification-text';
import { stuckSummary } from './operations-health';

const REFRESH_MS = 5000;

function useEvery(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}

function ReplayParked({ parkedCount, onReplayed }: { parkedCount: number; onReplayed(): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const replay = async () => {
    setBusy(true);
    setDone(null);
    const answer = await outcome(commands.POST('/operations/saga/parked/replay'));
    setBusy(false);
    setProblem(answer.ok ? null : answer.problem);
    if (answer.ok) {
      setDone(`Replaying ${answer.data.parkedCount} parked event${answer.data.parkedCount === 1 ? '' : 's'}.`);
      onReplayed();
    }
  };
  return (
    <div class="actions">
      <button type="button" class="primary" onClick={() => void replay()} disabled={busy || parkedCount === 0}>
        Replay parked events
      </button>
      <p role="status">{done}</p>
      <ProblemAlert problem={problem} prefix="The replay could not be started" />
    </div>
  );
}

export function OperationsPage() {
  const tick = useEvery(REFRESH_MS);
  const projections = useQuery(() => outcome(queries.GET('/operations/projections')), [tick]);
  const parked = useQuery(() => outcome(commands.GET('/operations/saga/parked')), [tick]);
  const lowStock = [...notifications.value]
    .reverse()
    .filter((n) => n.type === 'LowStock')
    .slice(0, 20);

  const list = projections.data?.projections ?? [];
  const parkedCount = parked.data?.parkedCount ?? null;
  const stuck = stuckSummary(list, parkedCount);
  const known = projections.data !== undefined && parked.data !== undefined;

  return (
    <>
      <PageHeading>Operations</PageHeading>
      <section aria-labelledby="stuck-heading" class={stuck.length ? 'card stuck' : 'card healthy'}>
        <h2 id="stuck-heading">What needs attention</h2>
        {!known && !projections.problem && !parked.problem && <p role="status">Checking…</p>}
        {known && stuck.length === 0 && <p role="status">Nothing is stuck: every projection is live and no saga event is parked.</p>}
        {stuck.length > 0 && (
          <ul data-testid="stuck-summary">
            {stuck.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
        {/* The fix beside the problem: the one replay button sits here while something is parked. */}
        {parkedCount !== null && parkedCount > 0 && <ReplayParked parkedCount={parkedCount} onReplayed={parked.reload} />}
      </section>

      <h2>Projections</h2>
      <ProblemAlert problem={projections.problem} prefix="The projections could not be read" />
      {list.length > 0 && (
        <div class="table-scroll" tabIndex={0}>
          <table aria-label="Projections">
            <thead>
              <tr>
                <th scope="col">Projection</th>
                <th scope="col">State</th>
                <th scope="col">Checkpoint (commit)</th>
                <th scope="col">Lag (events)</th>
                <th scope="col">Lag (seconds)</th>
                <th scope="col">Failure</th>
              </tr>
            </thead>
            <tbody>
              {list.map((projection) => (
                <tr key={projection.name}>
                  <th scope="row">{projection.name}</th>
                  <td>
                    <span class={`badge badge-projection-${projection.state}`}>{projection.state.replace(/_/g, ' ')}</span>
                  </td>
                  <td>
                    <code>{projection.position?.commit ?? '—'}</code>
                  </td>
                  <td>{projection.lagEvents ?? '—'}</td>
                  <td>{projection.lagSeconds === null ? '—' : projection.lagSeconds.toFixed(1)}</td>
                  <td>{projection.failure ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Parked saga events</h2>
      <ProblemAlert problem={parked.problem} prefix="The parked events could not be read" />
      {parked.data && (
        <>
          <p>
            Group <code>{parked.data.group}</code>: {parked.data.parkedCount} parked.
          </p>
          {parked.data.parkedCount === 0 && <ReplayParked parkedCount={0} onReplayed={parked.reload} />}
          {parked.data.items.length > 0 && (
            <div class="table-scroll" tabIndex={0}>
              <table aria-label="Parked saga events">
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Stream</th>
                    <th scope="col">Revision</th>
                    <th scope="col">Parked</th>
                  </tr>
                </thead>
                <tbody>
                  {parked.data.items.map((item) => (
                    <tr key={item.eventId}>
                      <th scope="row">{item.eventType}</th>
                      <td>
                        <code>{item.streamId}</code>
                      </td>
                      <td>{item.revision}</td>
                      <td>{formatTime(item.parkedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}

      <h2>Low-stock alerts</h2>
      {lowStock.length === 0 ? (
        <p>No low-stock alerts.</p>
      ) : (
        <ol class="notifications" aria-label="Low-stock alerts, newest first">
          {lowStock.map((alert) => (
            <li key={alert.id} class="notification notification-LowStock">
              <time dateTime={alert.at}>{formatTime(alert.at)}</time> <span>{notificationText(alert)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
