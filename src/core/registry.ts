/** Something a registry can hold: a factory for one `type` of a pluggable kind. */
export interface Registered {
  /** The name configuration uses in `type:`. */
  readonly type: string;
}

/**
 * A registry of factories for one pluggable kind (steps, endpoints, ...), keyed by type name.
 * Asking for an unknown type throws with the list of known ones, so a typo in configuration
 * reads as a clear message.
 */
export class Registry<F extends Registered> {
  private readonly factories = new Map<string, F>();

  /** @param kind what the registry holds, for error messages ("step", "endpoint"). */
  constructor(readonly kind: string, factories: readonly F[] = []) {
    for (const factory of factories) this.register(factory);
  }

  /** Adds a factory; a type can be registered once. */
  register(factory: F): this {
    if (this.factories.has(factory.type)) throw new Error(`A ${this.kind} type "${factory.type}" is already registered.`);
    this.factories.set(factory.type, factory);
    return this;
  }

  /** The factory for `type`, or undefined. */
  find(type: string): F | undefined {
    return this.factories.get(type);
  }

  /** Known type names, sorted. */
  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** A sentence for an unknown type, listing the known ones. */
  unknownTypeMessage(type: string): string {
    return `"${type}" is not a known ${this.kind} type (known: ${this.types().join(', ') || 'none'})`;
  }
}
