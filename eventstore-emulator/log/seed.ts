import { randomUUID } from 'node:crypto';
import type { EventLog } from './event-log';

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

function systemEvent(type: string, data: unknown) {
  return { id: randomUUID(), type, isJson: true, data: json(data), metadata: new Uint8Array() };
}

/**
 * What a real 24.10 node writes before any client does (spec 3.10): an epoch record at every
 * start and, on the first start, the default users. Projectors must cope with these in `$all`.
 */
export function seedSystemRecords(log: EventLog, { firstStart }: { firstStart: boolean }): void {
  const epochNumber = log.currentRevision('$epoch-information') + 1n;
  log.append('$epoch-information', 'any', [
    systemEvent('$epoch-information', {
      epochId: randomUUID(),
      epochNumber: Number(epochNumber),
      epochPosition: Number(log.lastPosition ?? 0n),
      leaderInstanceId: randomUUID(),
    }),
  ]);
  if (!firstStart) return;
  for (const login of ['admin', 'ops']) {
    log.append(`$user-${login}`, 'no_stream', [
      systemEvent('$UserCreated', {
        loginName: login,
        fullName: login === 'admin' ? 'Event Store Administrator' : 'Event Store Operations',
        groups: [`$${login}s`],
      }),
    ]);
  }
  log.append('$users', 'any', [systemEvent('$User', 'admin'), systemEvent('$User', 'ops')]);
}
