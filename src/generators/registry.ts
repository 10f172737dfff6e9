import type { Generator } from './generator.js';

/** Generators by the key that names them in an ApplicationSet (`list`, `clusters`, `git`, …). */
export class GeneratorRegistry {
  private readonly byKind = new Map<string, Generator<any>>();

  register(generator: Generator<any>): this {
    this.byKind.set(generator.kind, generator);
    return this;
  }

  get(kind: string): Generator<any> | undefined {
    return this.byKind.get(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()];
  }
}
