/**
 * The replay CLI: `npm run replay -- status | rebuild <name...>|--all | verify <name...>|--all`
 * (docs/REPLAY.md). Whatever goes wrong ends as one line on stderr and a non-zero exit code.
 */
import { createInterface } from 'node:readline/promises';
import { ConfigError, loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { USAGE, parseCommandLine, type ReplayCommand } from './arguments';
import { nothingRunningHint, withRunningSystem } from '../../platform/local-system/system-file';
import { replayEnv } from './config';
import { openContext, projectionNames, type ReplayContext } from './context';
import { ExitCode, ReplayError } from './errors';
import { describeRebuild, rebuild } from './rebuild';
import { describeStatus, status } from './status';
import { describeVerify, verify } from './verify';

async function run(context: ReplayContext, command: ReplayCommand, signal: AbortSignal): Promise<number> {
  const print = (json: unknown, text: string) =>
    context.stdout.write(
      command.json ? `${JSON.stringify(json, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n` : text,
    );
  switch (command.command) {
    case 'status': {
      const result = await status(context, command.projections);
      print(result, describeStatus(result));
      return ExitCode.ok;
    }
    case 'rebuild': {
      const result = await rebuild(context, {
        projections: command.projections,
        from: command.from,
        batchSize: command.batchSize,
        yes: command.yes,
        signal,
      });
      print(result, describeRebuild(result));
      return ExitCode.ok;
    }
    case 'verify': {
      const result = await verify(context, { projections: command.projections, from: command.from, batchSize: command.batchSize, signal });
      print(result, describeVerify(result));
      return result.differences === 0 ? ExitCode.ok : ExitCode.failed;
    }
  }
}

function oneLine(error: unknown): string {
  if (error instanceof ConfigError)
    return `configuration: ${error.problems.map(({ variable, problem }) => `${variable} ${problem}`).join('; ')}`;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}

async function main(): Promise<number> {
  const known = projectionNames();
  const parsed = parseCommandLine(process.argv.slice(2), known);
  if (parsed === 'help') {
    process.stdout.write(`${USAGE.replace('%s', known.join(', '))}\n`);
    return ExitCode.ok;
  }
  // No EVENTSTORE_URL / DATABASE_URL: the `npm start` running in this directory, if there is one.
  const running = withRunningSystem(
    process.env,
    ['EVENTSTORE_URL', 'DATABASE_URL'],
    (system) => ({ EVENTSTORE_URL: system.eventStoreUrl, DATABASE_URL: system.databaseUrl, DATABASE_SCHEMA: system.databaseSchema }),
    (line) => process.stderr.write(`replay: ${line}\n`),
  );
  if (running.missing.length > 0 && !running.system)
    throw new ReplayError(nothingRunningHint(running.dataDir, running.missing.join(' and ')), ExitCode.usage);
  let config;
  try {
    config = loadConfig(replayEnv, running.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ReplayError(oneLine(error), ExitCode.usage);
    throw error;
  }
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const context = await openContext({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    eventStoreUrl: config.EVENTSTORE_URL,
    logger: createLogger({ service: 'replay', level: config.LOG_LEVEL, destination: process.stderr }),
    lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    defaultBatchSize: config.PROJECTOR_BATCH_SIZE,
    interactive,
    async ask(question) {
      const terminal = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await terminal.question(question);
      } finally {
        terminal.close();
      }
    },
  });
  // Ctrl-C: stop after the batches in flight, so the shadow keeps them and a rerun resumes.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  try {
    return await run(context, parsed, interrupt.signal);
  } finally {
    await context.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`replay: ${oneLine(error)}\n`);
  process.exitCode = error instanceof ReplayError ? error.exitCode : ExitCode.failed;
}
// The event store client's channel can hold the process open after dispose.
setTimeout(() => process.exit(), 100).unref();
