/**
 * The emulator as a standalone process: `npm run eventstore`. Configured only by environment
 * variables (below); a bad value stops it before it binds anything, naming the variable.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from './emulator';

const PREFIX = 'EVENTSTORE_EMULATOR_';

const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);

const environmentSchema = z.strictObject({
  EVENTSTORE_EMULATOR_HOST: z.string().default('127.0.0.1'),
  EVENTSTORE_EMULATOR_PORT: wholeNumber.pipe(z.number().max(65535, 'must be a port number, 0..65535')).default(2113),
  /** Unset = the log lives in memory and is lost on exit. */
  EVENTSTORE_EMULATOR_DATA_DIR: z.string().optional(),
  /** Bytes; the real server's default is 1 MiB. */
  EVENTSTORE_EMULATOR_MAX_APPEND_SIZE: wholeNumber
    .pipe(
      z
        .number()
        .min(1, 'must be at least 1 byte')
        .max(16 * 1024 * 1024, 'must be at most 16 MiB (gRPC message limit)'),
    )
    .optional(),
  /** info: banner and shutdown lines; warn: only warnings (e.g. a torn log tail) and errors. */
  EVENTSTORE_EMULATOR_LOG_LEVEL: z.enum(['info', 'warn']).default('info'),
});

type Settings = z.output<typeof environmentSchema>;

function readSettings(environment: NodeJS.ProcessEnv): Settings {
  // Only our prefix is looked at, so a misspelt variable is reported instead of silently ignored;
  // an empty value counts as unset (handy for `VAR= npm run eventstore`).
  const ours = Object.fromEntries(Object.entries(environment).filter(([name, value]) => name.startsWith(PREFIX) && value !== ''));
  const parsed = environmentSchema.safeParse(ours);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `${issue.keys.join(', ')}: unknown setting (known: ${Object.keys(environmentSchema.shape).join(', ')})`;
    const name = String(issue.path[0]);
    return `${name}=${JSON.stringify(ours[name])}: ${issue.message}`;
  });
  process.stderr.write(`eventstore-emulator: invalid configuration\n${lines.map((line) => `  ${line}\n`).join('')}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const info = settings.EVENTSTORE_EMULATOR_LOG_LEVEL === 'info' ? (line: string) => process.stdout.write(`${line}\n`) : () => {};
  const dataDirectory = settings.EVENTSTORE_EMULATOR_DATA_DIR && resolve(settings.EVENTSTORE_EMULATOR_DATA_DIR);

  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      host: settings.EVENTSTORE_EMULATOR_HOST,
      port: settings.EVENTSTORE_EMULATOR_PORT,
      dataDirectory,
      maxAppendSize: settings.EVENTSTORE_EMULATOR_MAX_APPEND_SIZE,
    });
  } catch (error) {
    process.stderr.write(`eventstore-emulator: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }

  info(`EventStoreDB emulator listening on ${emulator.url}`);
  info(
    dataDirectory ? `  log: ${dataDirectory} (fsync'd on every append, ${emulator.log.length} records)` : '  log: in memory (lost on exit)',
  );
  info('  A development and test emulator, not a database: production uses EventStoreDB.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while stopping means "now": do not make the user wait again.
    if (stopping) process.exit(1);
    stopping = true;
    info(`${signal}: stopping`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`eventstore-emulator: error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
