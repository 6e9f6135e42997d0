import { errors } from './errors.js';

/**
 * Stripe's list objects: `{ object: 'list', data, has_more, url }`, a page of at most `limit` (default 10)
 * entries after `starting_after` or before `ending_before` (object ids; an unknown one is a 404).
 */

export interface ListParams {
  limit?: number | undefined;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
}

/** One page of `items`, kept in the order given (an invoice's lines are in invoice order). */
export function page<T extends { id: string }, R>(
  items: readonly T[],
  params: ListParams,
  url: string,
  render: (item: T) => R,
  kind: string,
) {
  const limit = params.limit ?? 10;
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw errors.badParameters(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'starting_after',
    );
  }
  let data: readonly T[];
  let hasMore: boolean;
  if (params.ending_before !== undefined) {
    const index = items.findIndex((i) => i.id === params.ending_before);
    if (index === -1) throw errors.missing(kind, params.ending_before, 'ending_before');
    const before = items.slice(0, index);
    data = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    let start = 0;
    if (params.starting_after !== undefined) {
      const index = items.findIndex((i) => i.id === params.starting_after);
      if (index === -1) throw errors.missing(kind, params.starting_after, 'starting_after');
      start = index + 1;
    }
    data = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  }
  return { object: 'list' as const, data: data.map(render), has_more: hasMore, url };
}

/** One page of `items` newest first (`created` desc, then id), as Stripe lists objects. */
export function list<T extends { id: string; created: number }, R>(
  items: readonly T[],
  params: ListParams,
  url: string,
  render: (item: T) => R,
  kind: string,
) {
  const sorted = [...items].sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return page(sorted, params, url, render, kind);
}
