/**
 * Counting the events of a server-sent-events stream as its text arrives, in chunks that may end anywhere
 * (inside a line, between the two newlines that end an event). Pure: the console phase's viewer feeds it
 * what it reads from `/api/live` and learns when the first snapshot came, without parsing the snapshots.
 */

/** Counts the events named `event` in a stream fed chunk by chunk. */
export class SseEventCounter {
  #pending = '';
  #count = 0;

  constructor(readonly event: string) {}

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
      if (name === this.event) completed++;
    }
    this.#count += completed;
    return completed;
  }

  /** Whole `event` events seen so far. */
  get count(): number {
    return this.#count;
  }
}
