/**
 * Counting the events of a server-sent-events stream as its text arrives, in chunks that may end anywhere
 * (inside a line, between the two newlines that end an event). Pure: the console phase's viewer feeds it
 * what it reads from `/api/live`, and reads the data of the first snapshots only (`onEvent`).
 */

/** Counts the events named `event` in a stream fed chunk by chunk. */
export class SseEventCounter {
  #pending = '';
  #count = 0;

  /** `onEvent` gets the data of each whole `event` event, its `data:` lines joined, while it is set. */
  constructor(
    readonly event: string,
    public onEvent?: (data: string) => void,
  ) {}

  /**
   * Takes the next chunk of the stream's text.
   *
   * @returns how many whole `event` events the chunk completed
   */
  feed(chunk: string): number {
    const blocks = (this.#pending + chunk).split(/\r?\n\r?\n/);
    // The last piece has not met its blank line yet: it waits for the next chunk.
    this.#pending = blocks.pop() ?? '';
    let completed = 0;
    for (const block of blocks) {
      const name = block
        .split(/\r?\n/)
        .find((line) => line.startsWith('event:'))
        ?.slice('event:'.length)
        .trim();
      if (name !== this.event) continue;
      completed++;
      this.onEvent?.(
        block
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice('data:'.length).trimStart())
          .join('\n'),
      );
    }
    this.#count += completed;
    return completed;
  }

  /** Whole `event` events seen so far. */
  get count(): number {
    return this.#count;
  }
}
