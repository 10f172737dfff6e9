/** Runs the work it is given one at a time, in the order given; a failure does not stop the turns after it. */
export class SerialTurns {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
