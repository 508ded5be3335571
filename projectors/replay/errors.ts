/**
 * What the replay CLI tells an operator when it cannot do what was asked: one line, and an exit
 * code a script can tell apart (docs/REPLAY.md has the table).
 */
export const ExitCode = {
  ok: 0,
  /** verify found differences, or the rebuild stopped on an event it cannot apply. */
  failed: 1,
  /** The command line or configuration is wrong. */
  usage: 2,
  /** PostgreSQL or the event store cannot be reached, or the read models are not migrated. */
  unavailable: 3,
  /** Another rebuild (or verify) of the same schema is running. */
  busy: 4,
  /** The swap was not confirmed. */
  declined: 5,
  /** Interrupted (Ctrl-C): the shadow is kept, the same command resumes it. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
  ) {
    super(message);
  }
}
