/**
 * `{ signal }` whose signal is made only when read: an own, enumerable property (so `{ ...view }`
 * keeps it) behind one getter shared by every instance. Most planners and in-process agents never
 * read their signal, and an AbortSignal per run or attempt is a measurable share of a run's cost.
 * Not an object literal with `get signal()`: V8 keeps accessor pairs in its old generation, so a
 * getter closure made per object kept everything it captured alive through every minor GC until
 * the next full one.
 */
export class SignalView {
  declare readonly signal: AbortSignal;
  readonly #source: { readonly signal: AbortSignal };

  constructor(source: { readonly signal: AbortSignal }) {
    this.#source = source;
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  /** The signal of the source behind `view`. */
  static signalOf(view: SignalView): AbortSignal {
    return view.#source.signal;
  }
}

const SIGNAL: PropertyDescriptor = {
  get(this: SignalView): AbortSignal {
    return SignalView.signalOf(this);
  },
  enumerable: true,
  configurable: true,
};
