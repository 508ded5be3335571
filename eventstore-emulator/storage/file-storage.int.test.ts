import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLog } from '../log/event-log';
import { TOMBSTONE_REVISION, type LogRecord, type ProposedEvent } from '../log/records';
import { DirectoryLockedError, LOG_FILE_NAME, LogCorruptedError, openFileStorage, type OpenedStorage } from './file-storage';

const directories: string[] = [];
function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'es-storage-'));
  directories.push(directory);
  return directory;
}

function event(overrides: Partial<ProposedEvent> = {}): ProposedEvent {
  return {
    id: randomUUID(),
    type: 'ItemAdded',
    isJson: true,
    data: Buffer.from('{"sku":"A-1"}'),
    metadata: new Uint8Array(),
    ...overrides,
  };
}

interface Session {
  opened: OpenedStorage;
  log: EventLog;
  warnings: string[];
}

/** Opens the directory the way the emulator does: storage first, then the log restored from it. */
function open(directory: string): Session {
  const warnings: string[] = [];
  const opened = openFileStorage(directory, { warn: (line) => warnings.push(line) });
  const log = new EventLog({ storage: opened.storage });
  log.restore(opened.records);
  return { opened, log, warnings };
}

/** Comparable form of a record: byte fields as plain arrays. */
function plain(record: LogRecord) {
  return { ...record, data: [...record.data], metadata: [...record.metadata] };
}
function allRecords(log: EventLog) {
  return [...log.readAll('forwards', 'start', BigInt(Number.MAX_SAFE_INTEGER))].map(plain);
}

/** Three appends: 1 event, 3 events, 1 event (5 records). */
function writeSample(log: EventLog): void {
  assert.equal(log.append('order-1', 'no_stream', [event()]).kind, 'success');
  assert.equal(
    log.append('order-1', 0n, [
      event({ type: 'Binary', isJson: false, data: Buffer.from([0, 255, 1, 254]), metadata: Buffer.from('{"by":"ü"}') }),
      event({ data: new Uint8Array() }),
      event({ type: 'Élan ✓' }),
    ]).kind,
    'success',
  );
  assert.equal(log.append('cart-ü-2', 'any', [event()]).kind, 'success');
}

const logPath = (directory: string) => join(directory, LOG_FILE_NAME);
const FRAME_MARKER = Buffer.from('ESMF', 'latin1');

function frameOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = file.indexOf(FRAME_MARKER); at >= 0; at = file.indexOf(FRAME_MARKER, at + 1)) offsets.push(at);
  return offsets;
}

test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

test('records survive close and reopen, every field intact', () => {
  const directory = freshDirectory();
  const first = open(directory);
  assert.ok(first.opened.firstStart);
  writeSample(first.log);
  assert.equal(first.log.tombstoneStream('cart-ü-2', 'any').kind, 'success');
  const written = allRecords(first.log);
  first.opened.close();

  const second = open(directory);
  assert.not.ok(second.opened.firstStart);
  assert.equal(second.warnings, []);
  assert.equal(allRecords(second.log), written);
  assert.equal(second.log.tombstoneRecord('cart-ü-2')?.revision, TOMBSTONE_REVISION);
  assert.equal(second.log.streamStatus('cart-ü-2'), 'tombstoned');
  // Appending continues the log: next index, later position, next revision.
  const outcome = second.log.append('order-1', 3n, [event()]);
  assert.equal(outcome.kind === 'success' && outcome.currentRevision, 4n);
  second.opened.close();

  const third = open(directory);
  assert.equal(third.log.length, written.length + 1);
  assert.ok(third.log.recordAt(written.length)!.position > third.log.recordAt(written.length - 1)!.position);
  third.opened.close();
});

test('ids that are not canonical UUIDs are kept verbatim', () => {
  const directory = freshDirectory();
  const { opened } = open(directory);
  const record: LogRecord = {
    index: 0,
    position: 100n,
    streamName: 's',
    revision: 0n,
    id: 'NOT-A-UUID',
    type: 't',
    isJson: false,
    data: new Uint8Array(),
    metadata: new Uint8Array(),
    created: -5n,
  };
  opened.storage.write([record]);
  opened.close();
  const reopened = openFileStorage(directory);
  assert.equal(reopened.records.map(plain), [plain(record)]);
  reopened.close();
});

test('a last append cut short by a few bytes is dropped with one warning; appending continues', () => {
  const directory = freshDirectory();
  const first = open(directory);
  writeSample(first.log);
  const before = allRecords(first.log);
  first.opened.close();
  truncateSync(logPath(directory), statSync(logPath(directory)).size - 3);

  const second = open(directory);
  assert.equal(second.warnings.length, 1);
  assert.match(second.warnings[0]!, /torn last append/);
  assert.equal(allRecords(second.log), before.slice(0, 4));
  assert.equal(second.log.append('cart-ü-2', 'no_stream', [event()]).kind, 'success');
  second.opened.close();

  const third = open(directory);
  assert.equal(third.warnings, []);
  assert.equal(third.log.length, 5);
  assert.equal(third.log.recordAt(4)!.streamName, 'cart-ü-2');
  third.opened.close();
});

test('a torn multi-event append is dropped whole, never half-visible', () => {
  const directory = freshDirectory();
  const first = open(directory);
  writeSample(first.log);
  first.opened.close();
  const file = readFileSync(logPath(directory));
  const frameStarts = frameOffsets(file);
  assert.equal(frameStarts.length, 5);
  // Keep the first append and most of the 3-event one: cut inside its last frame.
  truncateSync(logPath(directory), frameStarts[3]! + 30);

  const second = open(directory);
  assert.equal(second.warnings.length, 1);
  assert.equal(second.log.length, 1, 'only the first append survives');
  assert.equal(second.log.currentRevision('order-1'), 0n);
  second.opened.close();
});

test('garbage after the last record is cut off', () => {
  const directory = freshDirectory();
  const first = open(directory);
  writeSample(first.log);
  const before = allRecords(first.log);
  first.opened.close();
  appendFileSync(logPath(directory), Buffer.from('ESMF\x10\x00\x00\x00 then some random garbage bytes', 'latin1'));

  const second = open(directory);
  assert.equal(second.warnings.length, 1);
  assert.equal(allRecords(second.log), before);
  assert.equal(second.log.append('order-1', 3n, [event()]).kind, 'success');
  second.opened.close();
  const third = open(directory);
  assert.equal(third.warnings, []);
  assert.equal(third.log.length, before.length + 1);
  third.opened.close();
});

test('corruption in the middle of the file stops the open with a clear error and leaves the file alone', () => {
  const directory = freshDirectory();
  const first = open(directory);
  writeSample(first.log);
  first.opened.close();
  const file = readFileSync(logPath(directory));
  file[frameOffsets(file)[1]! + 40]! ^= 0xff; // inside the payload of record 1, in the second of three appends
  writeFileSync(logPath(directory), file);

  let error: unknown;
  try {
    open(directory);
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, LogCorruptedError);
  assert.match((error as Error).message, /corrupt at byte \d+ \(checksum mismatch\)/);
  assert.match((error as Error).message, /middle of the log/);
  assert.equal(readFileSync(logPath(directory)), file, 'file untouched');
  // The failed open released its lock: the directory can be opened once the file is dealt with.
  rmSync(logPath(directory));
  open(directory).opened.close();
});

test('a damaged length field in the middle is not mistaken for a torn tail', () => {
  const directory = freshDirectory();
  const first = open(directory);
  writeSample(first.log);
  first.opened.close();
  const file = readFileSync(logPath(directory));
  file.writeUInt32LE(0x00ffffff, 8 + 4); // first frame's payload length now points past the end
  writeFileSync(logPath(directory), file);
  assert.throws(() => open(directory), /middle of the log/);
});

test('a file that is not an emulator log is refused', () => {
  const directory = freshDirectory();
  writeFileSync(logPath(directory), 'hello world, not a log');
  assert.throws(() => openFileStorage(directory), /not an event-store emulator log/);
});

test('a second open of a locked directory is refused until the first closes', () => {
  const directory = freshDirectory();
  const first = openFileStorage(directory);
  assert.throws(
    () => openFileStorage(directory),
    (error: unknown) => error instanceof DirectoryLockedError && /in use by another emulator/.test(error.message),
  );
  first.close();
  openFileStorage(directory).close();
});

test('a lock left by a dead process is taken over; one held by a live process is not', async () => {
  const directory = freshDirectory();
  const lockPath = join(directory, 'emulator.lock');
  const exited = spawn(process.execPath, ['-e', '0']);
  const deadPid = exited.pid!;
  await new Promise((resolve) => exited.on('exit', resolve));
  writeFileSync(lockPath, `${deadPid}\n`);
  const taken = openFileStorage(directory);
  assert.equal(readFileSync(lockPath, 'utf8'), `${process.pid}\n`);
  taken.close();

  const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    writeFileSync(lockPath, `${alive.pid}\n`);
    assert.throws(() => openFileStorage(directory), new RegExp(`pid ${alive.pid}`));
  } finally {
    alive.kill();
  }
});

test.run();
