// The order services start in: each after the services it depends on (depends_on, and links,
// which docker also treats as a dependency), stopped in the reverse order. A dependency on a
// service that does not exist, or a cycle, is an error naming the services. Pure.
import { InvalidArgumentError } from '../../common/errors.js';

export interface DependencyGraph {
  /** service → the services it needs started first. */
  [service: string]: readonly string[];
}

/** The services in start order; ties keep the order of `graph`'s keys (the file's order). */
export function startOrder(graph: DependencyGraph): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (service: string, path: readonly string[]) => {
    if (state.get(service) === 'done') return;
    if (state.get(service) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(service)), service];
      throw new InvalidArgumentError(`services depend on each other in a cycle: ${cycle.join(' -> ')} (depends_on or links)`);
    }
    state.set(service, 'visiting');
    for (const needed of graph[service] ?? []) {
      if (!(needed in graph)) throw new InvalidArgumentError(`services.${service} depends on undefined service "${needed}"`);
      visit(needed, [...path, service]);
    }
    state.set(service, 'done');
    order.push(service);
  };
  for (const service of Object.keys(graph)) visit(service, []);
  return order;
}

/** `selected` with every service they need, transitively, in start order (`up web` starts web's dependencies too). */
export function withDependencies(graph: DependencyGraph, selected: readonly string[]): string[] {
  const wanted = new Set<string>();
  const add = (service: string) => {
    if (!(service in graph)) throw new InvalidArgumentError(`no such service: ${service}`);
    if (wanted.has(service)) return;
    wanted.add(service);
    for (const needed of graph[service] ?? []) add(needed);
  };
  for (const service of selected) add(service);
  return startOrder(graph).filter((service) => wanted.has(service));
}
