import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Shop, ShopMember, User } from '../entities';

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
    membershipsByUserId: new DataLoader<string, ShopMember[]>(async (userIds) => {
      const rows = await em.find(ShopMember, { user: { $in: [...userIds] } }, { populate: ['shop'], orderBy: { id: 'asc' } });
      const byUser = new Map<string, ShopMember[]>(userIds.map((id) => [id, []]));
      for (const m of rows) byUser.get(m.user.id)?.push(m);
      return userIds.map((id) => byUser.get(id)!);
    }),
    membersByShopId: new DataLoader<string, ShopMember[]>(async (shopIds) => {
      const rows = await em.find(ShopMember, { shop: { $in: [...shopIds] } }, { orderBy: { id: 'asc' } });
      const byShop = new Map<string, ShopMember[]>(shopIds.map((id) => [id, []]));
      for (const m of rows) byShop.get(m.shop.id)?.push(m);
      return shopIds.map((id) => byShop.get(id)!);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
