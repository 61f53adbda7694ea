import { describe, expect, it } from 'vitest';
import { SizeGovernor } from './size-governor.ts';

describe('SizeGovernor', () => {
  it('steps down after two slow windows, to at most half size, and back up after three fast ones', () => {
    const g = new SizeGovernor(1000 / 30); // 33.3 ms budget
    g.update(30); // 90 % of the budget: slow
    expect(g.scale).toBe(1);
    g.update(30);
    expect(g.scale).toBe(0.75);
    g.update(30);
    g.update(30);
    expect(g.scale).toBe(0.5);
    g.update(30);
    g.update(30);
    expect(g.scale).toBe(0.5); // no smaller size: the loop drops frames instead
    g.update(5);
    g.update(5);
    expect(g.scale).toBe(0.5);
    g.update(5);
    expect(g.scale).toBe(0.75);
  });

  it('holds its size in between, and a window in the middle resets the counts', () => {
    const g = new SizeGovernor(1000 / 30);
    g.update(30);
    g.update(20); // 60 %: neither
    g.update(30);
    expect(g.scale).toBe(1);
    expect(() => new SizeGovernor(0)).toThrow(TypeError);
  });
});
