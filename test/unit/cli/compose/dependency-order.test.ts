import { describe, expect, it } from 'vitest';
import { startOrder, withDependencies } from '../../../../cli/compose/dependency-order.js';

describe('the order services start in', () => {
  it('starts each service after what it depends on, keeping the file order otherwise', () => {
    expect(startOrder({ web: ['api', 'cache'], api: ['db'], cache: [], db: [], tools: [] })).toEqual(['db', 'api', 'cache', 'web', 'tools']);
  });

  it('adds the dependencies of the services named', () => {
    expect(withDependencies({ web: ['api'], api: ['db'], db: [], other: [] }, ['web'])).toEqual(['db', 'api', 'web']);
    expect(() => withDependencies({ web: [] }, ['nope'])).toThrow(/no such service: nope/);
  });

  it.each([
    [{ a: ['b'], b: ['a'] }, /cycle: a -> b -> a/],
    [{ a: ['b'], b: ['c'], c: ['b'] }, /cycle: b -> c -> b/],
    [{ a: ['a'] }, /cycle: a -> a/],
    [{ a: ['missing'] }, /services\.a depends on undefined service "missing"/],
  ])('refuses %j', (graph, message) => {
    expect(() => startOrder(graph)).toThrow(message);
  });
});
