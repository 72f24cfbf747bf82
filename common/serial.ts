/**
 * Runs tasks one after another per key, in the order they were handed in;
 * tasks of different keys run meanwhile. A failed task does not stop the
 * ones after it.
 */
export class Serializer {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    // Forget a key once its last task is done, so the map holds only keys with work.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
