import { describe, expect, it } from 'vitest';
import { RunControl } from '../../src/execution/run-control.ts';
import { SignalView } from '../../src/execution/signal-view.ts';

describe('SignalView', () => {
  it('asks its source for the signal only when read', () => {
    let reads = 0;
    const controller = new AbortController();
    const view = new SignalView({
      get signal() {
        reads++;
        return controller.signal;
      },
    });
    expect(reads).toBe(0);
    expect(view.signal).toBe(controller.signal);
    expect(reads).toBe(1);
  });

  it('is spread like a plain { signal } and shares one getter between views', () => {
    const control = new RunControl();
    const a = new SignalView(control);
    const b = new SignalView(new RunControl());
    expect({ ...a }).toEqual({ signal: control.signal });
    expect(Object.getOwnPropertyDescriptor(a, 'signal')?.get).toBe(Object.getOwnPropertyDescriptor(b, 'signal')?.get);
  });

  it('carries the stop of the run it views', () => {
    const control = new RunControl();
    const view = new SignalView(control);
    control.stop({ kind: 'cancelled', message: 'enough' });
    expect(view.signal.aborted).toBe(true);
    expect(() => control.throwIfStopped()).toThrow('enough');
  });
});
