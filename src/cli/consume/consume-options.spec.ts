import { describe, expect, it } from '@jest/globals';
import { parseConsumeOptions, resolveTopics, UsageError } from './consume-options.js';

const topics = { orders: 'orders.v1', incidences: 'incidences.v1', deadLetter: 'dlq.v1' };

describe('parseConsumeOptions', () => {
  it('tails new records of the default topics in a throwaway group when given nothing', () => {
    expect(parseConsumeOptions([])).toEqual({ topics: [], fromBeginning: false, group: undefined, max: undefined, json: false, help: false });
  });

  it('reads every option, long and short', () => {
    expect(parseConsumeOptions(['--topic', 'orders', '-t', 'dlq', '--from-beginning', '--group', ' team-a ', '--max', '6', '--json'])).toEqual({
      topics: ['orders', 'dlq'],
      fromBeginning: true,
      group: 'team-a',
      max: 6,
      json: true,
      help: false,
    });
    expect(parseConsumeOptions(['-g', 'g', '-n', '1', '-h'])).toMatchObject({ group: 'g', max: 1, help: true });
  });

  it('splits comma-separated topics and drops empty items', () => {
    expect(parseConsumeOptions(['--topic', 'orders, incidences,,']).topics).toEqual(['orders', 'incidences']);
  });

  it.each([
    [['--max', '0'], '--max must be a whole number of records, 1 or more, got "0"'],
    [['--max', '-1'], /--max/],
    [['--max', '2.5'], '--max must be a whole number of records, 1 or more, got "2.5"'],
    [['--max', '1e3'], /--max/],
    [['--max', '99999999999999999999'], /--max/],
    [['--group', '  '], '--group must not be empty'],
    [['--verbose'], /Unknown option '--verbose'/],
    [['orders'], /Unexpected argument 'orders'/],
    [['--max'], /--max/],
  ])('refuses %j', (args, message) => {
    expect(() => parseConsumeOptions(args)).toThrow(UsageError);
    expect(() => parseConsumeOptions(args)).toThrow(message);
  });
});

describe('resolveTopics', () => {
  it('reads the two normalised topics by default, as the configuration names them', () => {
    expect(resolveTopics([], topics)).toEqual(['orders.v1', 'incidences.v1']);
  });

  it('maps the aliases to the configured names and keeps other names as given, once each', () => {
    expect(resolveTopics(['dlq', 'orders', 'other.topic', 'orders.v1'], topics)).toEqual(['dlq.v1', 'orders.v1', 'other.topic']);
  });

  it.each(['bad topic', 'a/b', '.', '..', 'x'.repeat(250), 'constructor!'])('refuses the topic name %j', (name) => {
    expect(() => resolveTopics([name], topics)).toThrow(UsageError);
  });

  it('takes a name that is also an object property as a topic name, not an alias', () => {
    expect(resolveTopics(['constructor', 'toString'], topics)).toEqual(['constructor', 'toString']);
  });
});
