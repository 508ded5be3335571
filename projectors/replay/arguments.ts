/** The command line: `replay status | rebuild <name...>|--all | verify <name...>|--all [options]`. */
import { parseArgs } from 'node:util';
import { ExitCode, ReplayError } from './errors';

export type CommandName = 'status' | 'rebuild' | 'verify';

export interface ReplayCommand {
  readonly command: CommandName;
  /** The projections named (every one for --all; for status, every one unless some are named). */
  readonly projections: readonly string[];
  /** --from: the commit position a partial replay starts at (inclusive). */
  readonly from: bigint | undefined;
  readonly batchSize: number | undefined;
  readonly yes: boolean;
  readonly json: boolean;
}

export const USAGE = `usage: npm run replay -- <command> [options]
  status [<projection...>]             checkpoint, lag and rebuild state of every projection
  rebuild <projection...> | --all      blue-green rebuild from the log, then swap the tables in
  verify <projection...> | --all       rebuild into a shadow, compare with the live tables, no swap
options:
  --from <position>   partial replay from this commit position (orders, products, checkout_progress)
  --batch-size <n>    most events per transaction (default PROJECTOR_BATCH_SIZE, 500)
  --yes, -y           swap without asking
  --json              machine-readable output on stdout
projections: %s`;

const usage = (message: string) => new ReplayError(`${message} (npm run replay -- --help)`, ExitCode.usage);

/** Answers the command, or `'help'`; throws a ReplayError (exit 2) on a bad command line. */
export function parseCommandLine(argv: readonly string[], known: readonly string[]): ReplayCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        all: { type: 'boolean', default: false },
        from: { type: 'string' },
        'batch-size': { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...names] = positionals;
  if (command === undefined) throw usage('no command given: status, rebuild or verify');
  if (command !== 'status' && command !== 'rebuild' && command !== 'verify')
    throw usage(`unknown command '${command}': status, rebuild or verify`);

  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw usage(
      `unknown projection${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `'${name}'`).join(', ')}: known are ${known.join(', ')}`,
    );
  if (values.all && names.length > 0) throw usage('name projections or pass --all, not both');
  if (command !== 'status' && !values.all && names.length === 0) throw usage(`${command} needs projection names or --all`);
  if (command === 'status' && (values.from !== undefined || values['batch-size'] !== undefined))
    throw usage('status takes no --from or --batch-size');

  let from: bigint | undefined;
  if (values.from !== undefined) {
    if (!/^\d+$/.test(values.from)) throw usage(`--from must be a commit position (a whole number), not '${values.from}'`);
    from = BigInt(values.from);
  }
  let batchSize: number | undefined;
  if (values['batch-size'] !== undefined) {
    batchSize = Number(values['batch-size']);
    if (!/^\d+$/.test(values['batch-size']) || batchSize < 1 || batchSize > 100_000)
      throw usage(`--batch-size must be a whole number from 1 to 100000, not '${values['batch-size']}'`);
  }
  const projections = values.all || names.length === 0 ? [...known] : [...new Set(names)];
  return { command, projections, from, batchSize, yes: values.yes, json: values.json };
}
