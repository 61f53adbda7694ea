import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './events.ts';

class Thing extends TypedEmitter<{ ping: [n: number]; done: [] }> {
  fire(n: number) {
    this.safeEmit('ping', n);
  }
}

describe('TypedEmitter', () => {
  it('delivers, once and off', () => {
    const t = new Thing();
    const seen: number[] = [];
    const l = (n: number) => seen.push(n);
    t.on('ping', l);
    t.once('ping', (n) => seen.push(n * 10));
    t.fire(1);
    t.fire(2);
    t.off('ping', l);
    t.fire(3);
    expect(seen).toEqual([1, 10, 2]);
  });

  it('keeps going when a listener throws', () => {
    const t = new Thing();
    const errors: unknown[] = [];
    t.onListenerError = (_e, err) => errors.push(err);
    const seen: number[] = [];
    t.on('ping', () => {
      throw new Error('boom');
    });
    t.on('ping', (n) => seen.push(n));
    t.fire(7);
    expect(seen).toEqual([7]);
    expect(errors).toHaveLength(1);
  });
});
