import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EmulatorContext } from '../context';

/**
 * The outgoing side of one `Streams.Read` call. It owns the call's lifetime: everything a read
 * or subscription holds (log listeners, pending waits) is registered here and released exactly
 * once, whether the client cancels, the emulator stops, or the call ends normally.
 */
export class ResponseWriter {
  private closed = false;
  private readonly cleanups: Array<() => void> = [];
  /** Resolvers of whoever waits for 'drain' or for the log; all released on close. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly call: ServerWritableStream<ReadReq, ReadResp>,
    context: EmulatorContext,
  ) {
    const close = () => this.close();
    call.on('cancelled', close);
    call.on('close', close);
    context.onStop.add(close);
    this.cleanups.push(() => context.onStop.delete(close));
  }

  /** False once the call is over: loops must stop producing. */
  get active(): boolean {
    return !this.closed;
  }

  /**
   * Writes one message, honouring gRPC backpressure: when the transport's buffer is full it
   * waits for 'drain', so a slow client slows only its own call, never the log's writer.
   */
  async send(message: ReadResp): Promise<void> {
    if (this.closed) return;
    if (this.call.write(message)) return;
    await this.wait((wake) => {
      this.call.once('drain', wake);
      return () => this.call.off('drain', wake);
    });
  }

  /**
   * Waits until `subscribe`'s trigger fires or the call closes, whichever is first.
   * `subscribe` returns its own unsubscribe.
   */
  wait(subscribe: (wake: () => void) => () => void): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let unsubscribe = () => {};
      const wake = () => {
        if (!this.wakers.delete(wake)) return;
        unsubscribe();
        resolve();
      };
      this.wakers.add(wake);
      unsubscribe = subscribe(wake);
    });
  }

  /** Runs `cleanup` when the call is over (immediately if it already is). */
  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Ends the call with status OK once everything written has been flushed. */
  finish(): void {
    if (this.closed) return;
    this.call.end();
    this.close();
  }

  /** Ends the call with an RPC error, after the messages already written. */
  fail(error: ServiceError): void {
    if (this.closed) return;
    // grpc-js turns an 'error' event into the trailing status and flushes pending writes first.
    this.call.emit('error', error);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const wake of [...this.wakers]) wake();
  }
}
