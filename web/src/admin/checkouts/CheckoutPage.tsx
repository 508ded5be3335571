/**
 * A checkout's saga as a timeline (GET /checkouts/:orderId), live from `checkout` events: each
 * step with its outcome and deadline, and the compensation that undid it right beside it.
 */
import { useEffect, useState } from 'preact/hooks';
import { outcome, queries, type Checkout } from '../../app/api';
import { formatTime } from '../../app/format';
import { onLive } from '../../app/live';
import { newer } from '../../app/order-text';
import { href, navigate } from '../../app/router';
import { PageHeading, ProblemAlert, TextField, useQuery } from '../../app/ui';
import { sagaTimeline, type TimelineStep } from './saga-timeline';

const checkoutStatusText: Record<Checkout['status'], string> = {
  in_progress: 'In progress',
  compensating: 'Compensating',
  completed: 'Completed',
  compensated: 'Compensated',
};

const outcomeText: Record<TimelineStep['outcome'], string> = { running: 'running', succeeded: 'succeeded', failed: 'failed' };

function Step({ step }: { step: TimelineStep }) {
  return (
    <li class={`step step-${step.outcome}`}>
      <div class="step-main">
        <h3>
          {step.title} <span class={`badge badge-step-${step.outcome}`}>{outcomeText[step.outcome]}</span>
        </h3>
        <p>
          <time dateTime={step.startedAt}>{formatTime(step.startedAt)}</time>
          {step.endedAt && step.endedAt !== step.startedAt && (
            <>
              {' → '}
              <time dateTime={step.endedAt}>{formatTime(step.endedAt)}</time>
            </>
          )}
          {step.detail && <span> · {step.detail}</span>}
        </p>
        {step.deadline && (
          <p class={step.deadline.firedAt ? 'deadline fired' : 'deadline'}>
            {step.deadline.name === 'payment' ? 'Payment deadline' : 'Checkout deadline'} {formatTime(step.deadline.due)}
            {step.deadline.firedAt ? ` — fired ${formatTime(step.deadline.firedAt)}` : ''}
          </p>
        )}
      </div>
      {step.compensation && (
        <div class={`compensation compensation-${step.compensation.state}`}>
          <p>
            <strong>Compensation:</strong> {step.compensation.label} —{' '}
            {step.compensation.state === 'done'
              ? 'done'
              : step.compensation.state === 'failing'
                ? `failing (attempt ${step.compensation.attempts})`
                : 'pending'}
            {step.compensation.at && <> at {formatTime(step.compensation.at)}</>}
          </p>
          {step.compensation.lastError && <p>Last error: {step.compensation.lastError}</p>}
          {step.compensation.note && <p>{step.compensation.note}</p>}
        </div>
      )}
    </li>
  );
}

function CheckoutTimeline({ orderId }: { orderId: string }) {
  const checkout = useQuery(() => outcome(queries.GET('/checkouts/{orderId}', { params: { path: { orderId } } })), [orderId]);
  useEffect(
    () =>
      onLive('checkout', (changed) => {
        if (changed.orderId === orderId) checkout.update((current) => newer(current, changed));
      }),
    [orderId],
  );
  const data = checkout.data;
  if (!data) {
    return (
      <>
        <ProblemAlert problem={checkout.problem} prefix="The checkout could not be read" />
        {checkout.loading && <p role="status">Loading the checkout…</p>}
      </>
    );
  }
  const timeline = sagaTimeline(data.steps);
  return (
    <>
      <ProblemAlert problem={checkout.problem} />
      <p role="status">
        Status:{' '}
        <span class={`badge badge-checkout-${data.status}`} data-testid="checkout-status">
          {checkoutStatusText[data.status]}
        </span>{' '}
        · current step {data.currentStep} · started {formatTime(data.startedAt)} · <a href={href('orders', orderId)}>The order</a>
      </p>
      {timeline.compensating && (
        <p class="alert alert-warning">
          The checkout gave up ({timeline.compensating.reason}) at {formatTime(timeline.compensating.startedAt)}
          {timeline.finished ? ' and undid its steps.' : ' and is undoing its steps.'}
        </p>
      )}
      {timeline.cancellationRequestedAt && <p>The customer asked to cancel at {formatTime(timeline.cancellationRequestedAt)}.</p>}
      <ol class="saga" aria-label="Checkout steps">
        {timeline.steps.map((step) => (
          <Step key={step.key} step={step} />
        ))}
      </ol>
      {timeline.finished && (
        <p>
          Finished: {timeline.finished.outcome === 'completed' ? 'completed' : 'compensated'} at {formatTime(timeline.finished.at)}.
        </p>
      )}
      <details>
        <summary>Saga events ({data.steps.length})</summary>
        <ol class="events">
          {data.steps.map((event) => (
            <li key={event.revision}>
              <code>{event.revision}</code> {event.type} <time dateTime={event.at}>{formatTime(event.at)}</time>
              <pre>{JSON.stringify(event.data, null, 2)}</pre>
            </li>
          ))}
        </ol>
      </details>
    </>
  );
}

export function CheckoutPage({ orderId }: { orderId: string | undefined }) {
  const [typed, setTyped] = useState(orderId ?? '');
  return (
    <>
      <PageHeading>{orderId ? `Checkout of order ${orderId}` : 'Checkouts'}</PageHeading>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed.trim()) navigate('admin', 'checkouts', typed.trim());
        }}
      >
        <TextField label="Order id" value={typed} onValue={setTyped} autoComplete="off" />
        <button type="submit">Show checkout</button>
      </form>
      {orderId ? (
        <CheckoutTimeline key={orderId} orderId={orderId} />
      ) : (
        <p class="hint">Open a checkout from the orders feed, or enter an order id.</p>
      )}
    </>
  );
}
