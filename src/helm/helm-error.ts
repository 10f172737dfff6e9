/** A chart that cannot be loaded or rendered; the message is Helm's where Helm has one. */
export class HelmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelmError';
  }
}
