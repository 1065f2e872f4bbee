import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { ApplicationDecision, Category, QuizQuestion, Shop, ShopMember, TrainingLesson, User } from '../entities';

/** Groups rows by a key, in the order of `keys`, with an empty list for keys without rows. */
export function groupBy<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

/** Loads entities of `entity` by id in one query per tick, in the order asked. */
function byId<T extends { id: string }>(em: EntityManager, entity: new (...args: never[]) => T): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await em.find(entity, { id: { $in: [...ids] } } as never);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * DataLoaders for one request. Named <Target>By<Key>; a page of N parents costs one query per
 * relation, not N.
 */
export function createLoaders(em: EntityManager) {
  return {
    userById: byId(em, User),
    shopById: byId(em, Shop),
    categoryById: byId(em, Category),
    membershipsByUserId: new DataLoader<string, ShopMember[]>(async (userIds) => {
      const rows = await em.find(ShopMember, { user: { $in: [...userIds] } }, { populate: ['shop'], orderBy: { id: 'asc' } });
      return groupBy(userIds, rows, (m) => m.user.id);
    }),
    membersByShopId: new DataLoader<string, ShopMember[]>(async (shopIds) => {
      const rows = await em.find(ShopMember, { shop: { $in: [...shopIds] } }, { orderBy: { id: 'asc' } });
      return groupBy(shopIds, rows, (m) => m.shop.id);
    }),
    decisionsByApplicationId: new DataLoader<string, ApplicationDecision[]>(async (ids) => {
      const rows = await em.find(ApplicationDecision, { application: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (d) => d.application.id);
    }),
    lessonsByCourseId: new DataLoader<string, TrainingLesson[]>(async (ids) => {
      const rows = await em.find(TrainingLesson, { course: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return groupBy(ids, rows, (l) => l.course.id);
    }),
    questionsByCourseId: new DataLoader<string, QuizQuestion[]>(async (ids) => {
      const rows = await em.find(QuizQuestion, { course: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return groupBy(ids, rows, (q) => q.course.id);
    }),
    categoryChildrenByParentId: new DataLoader<string, Category[]>(async (parentIds) => {
      const rows = await em.find(Category, { parent: { $in: [...parentIds] } }, { orderBy: { position: 'asc', name: 'asc', id: 'asc' } });
      return groupBy(parentIds, rows, (c) => c.parent!.id);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
