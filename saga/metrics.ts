/** What an operator watches on the saga (`/metrics`): checkouts by state, step latency, compensations, retries, parked events. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SagaMetrics {
  readonly stepDuration: Histogram<'step' | 'outcome'>;
  readonly compensations: Counter<'compensation' | 'outcome'>;
  readonly parked: Counter<'reason'>;
  readonly retries: Counter<'type'>;
  readonly deadlinesFired: Counter<'deadline'>;
  readonly eventsHandled: Counter<'type'>;
}

export function createSagaMetrics(registry: Registry, checkoutsByState: () => Record<string, number>): SagaMetrics {
  new Gauge({
    name: 'saga_checkouts',
    help: 'Checkouts by state, as seen in the log (running, compensating, completed, compensated)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const [state, value] of Object.entries(checkoutsByState())) this.set({ state }, value);
    },
  });
  return {
    stepDuration: new Histogram({
      name: 'saga_step_duration_seconds',
      help: 'Time a checkout step or compensation took to run (its effects, before recording), by step and outcome',
      labelNames: ['step', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    compensations: new Counter({
      name: 'saga_compensations_total',
      help: 'Compensations run, by kind and outcome (completed, failed = transient, retried later)',
      labelNames: ['compensation', 'outcome'],
      registers: [registry],
    }),
    parked: new Counter({
      name: 'saga_parked_events_total',
      help: 'Events parked after the retry limit (replay them after fixing the cause)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'saga_event_retries_total',
      help: 'Events handed back for redelivery after a failure',
      labelNames: ['type'],
      registers: [registry],
    }),
    deadlinesFired: new Counter({
      name: 'saga_deadlines_fired_total',
      help: 'Deadlines this process fired',
      labelNames: ['deadline'],
      registers: [registry],
    }),
    eventsHandled: new Counter({
      name: 'saga_events_handled_total',
      help: 'Events delivered to this process and handled',
      labelNames: ['type'],
      registers: [registry],
    }),
  };
}
