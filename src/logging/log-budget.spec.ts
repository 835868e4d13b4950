import { describe, expect, it } from '@jest/globals';
import { LogBudget } from './log-budget.js';

describe('LogBudget', () => {
  const clock = (): { now: () => number; advance: (ms: number) => void } => {
    let time = 1_000;
    return { now: () => time, advance: (ms) => (time += ms) };
  };

  it('lets `limit` lines of a kind through per window and counts the rest', () => {
    const { now } = clock();
    const budget = new LogBudget(3, 10_000, now);
    const taken = Array.from({ length: 1_000 }, () => budget.take('401'));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(taken.slice(0, 3)).toEqual([true, true, true]);
    expect(budget.drainSuppressed()).toEqual(new Map([['401', 997]]));
    expect(budget.drainSuppressed()).toEqual(new Map());
  });

  it('keeps a budget per kind', () => {
    const budget = new LogBudget(1, 10_000, clock().now);
    expect([budget.take('401'), budget.take('400'), budget.take('401'), budget.take('400'), budget.take('400')]).toEqual([true, true, false, false, false]);
    expect(budget.drainSuppressed()).toEqual(new Map([['401', 1], ['400', 2]]));
  });

  it('starts a fresh budget once the window has passed', () => {
    const { now, advance } = clock();
    const budget = new LogBudget(2, 10_000, now);
    expect([budget.take('401'), budget.take('401'), budget.take('401')]).toEqual([true, true, false]);
    advance(9_999);
    expect(budget.take('401')).toBe(false);
    advance(1);
    expect([budget.take('401'), budget.take('401'), budget.take('401')]).toEqual([true, true, false]);
    expect(budget.drainSuppressed()).toEqual(new Map([['401', 3]]));
  });
});
