import type { Context } from '../context';
import { ShopStatus } from '../entities';
import { parseGlobalId } from '../schema/globalId';

/** Loads one node by database key, or null when absent or not visible to the viewer. */
type NodeFetcher = (ctx: Context, key: string) => Promise<object | null>;

/**
 * Every type `node(id:)` can refetch, with its visibility rule. An object the viewer may not see
 * is indistinguishable from an absent one.
 */
const fetchers: Record<string, NodeFetcher> = {
  async User(ctx, key) {
    if (ctx.viewer.userId !== key && !ctx.viewer.isStaff) return null;
    return ctx.loaders.userById.load(key);
  },
  async Shop(ctx, key) {
    const shop = await ctx.loaders.shopById.load(key);
    if (!shop) return null;
    if (shop.status === ShopStatus.ACTIVE || ctx.viewer.isStaff) return shop;
    return (await ctx.viewer.roleIn(shop.id)) ? shop : null;
  },
};

export async function fetchNode(ctx: Context, id: string): Promise<object | null> {
  const parsed = parseGlobalId(id);
  const fetcher = parsed && Object.hasOwn(fetchers, parsed.type) ? fetchers[parsed.type] : undefined;
  if (!parsed || !fetcher || !/^[1-9][0-9]{0,18}$/.test(parsed.key)) return null;
  return fetcher(ctx, parsed.key);
}
