import type { ExecutionResult } from 'graphql';

/** A bounded async queue of results for one subscriber; overflowing it marks a slow consumer. */
export class ResultChannel implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly hooks: { overflow(): void; failed(errors: readonly any[]): void; ended(): void },
  ) {}

  push(result: ExecutionResult): void {
    if (this.ended) return;
    if (this.queue.length >= this.capacity) {
      this.hooks.overflow();
      this.end();
      return;
    }
    this.queue.push(result);
    this.wake?.();
  }

  /** The upstream refused or broke: the owner decides (close the socket, or report and end). */
  fail(errors: readonly any[]): void {
    if (this.ended) return;
    this.hooks.failed(errors);
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
    this.hooks.ended();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    while (this.queue.length === 0 && !this.ended) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    if (this.queue.length > 0) return { value: this.queue.shift()!, done: false };
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return { value: undefined, done: true };
  }
}
