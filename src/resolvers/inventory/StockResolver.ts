import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ProductVariant, Shop, StockAlert, StockMovement, Stocktake, StocktakeLine, User } from '../../entities';
import * as stock from '../../services/inventory';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import {
  AdjustStockInput,
  AdjustStockPayload,
  ProductVariantConnection,
  StockAlertConnection,
  StockMovementConnection,
  StocktakeInput,
  StocktakePayload,
} from '../../schema/inventory/inventory';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@Resolver()
export class StockResolver {
  @Mutation(() => AdjustStockPayload, {
    description: 'Add or remove on-hand units of a variant, with a reason for the stock ledger (shop OWNER, MANAGER, OPERATOR). Never below the reserved units.',
  })
  adjustStock(@Arg('input', { description: INPUT_DESCRIPTION }) input: AdjustStockInput, @Ctx() ctx: Context): Promise<AdjustStockPayload> {
    return payload(() => stock.adjustStock(ctx, { ...input, variantId: decodeId('ProductVariant', input.variantId) }), (variant) => ({ variant }));
  }

  @Mutation(() => StocktakePayload, {
    description: 'Record a stocktake (盤點): each counted variant’s on-hand stock becomes its count, differences go to the stock ledger (shop OWNER, MANAGER, OPERATOR). All or nothing.',
  })
  submitStocktake(@Arg('input', { description: INPUT_DESCRIPTION }) input: StocktakeInput, @Ctx() ctx: Context): Promise<StocktakePayload> {
    return payload(
      () =>
        stock.submitStocktake(ctx, {
          ...input,
          shopId: decodeId('Shop', input.shopId),
          counts: input.counts.map((c) => ({ variantId: decodeId('ProductVariant', c.variantId), counted: c.counted })),
        }),
      (stocktake) => ({ stocktake }),
    );
  }
}

@Resolver(() => ProductVariant)
export class VariantStockResolver {
  @FieldResolver(() => StockMovementConnection, { description: 'The stock ledger of this variant, newest first (the shop’s members and staff).' })
  stockMovements(@Root() variant: ProductVariant, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(stock.stockMovements(ctx, variant, args));
  }
}

@Resolver(() => Shop)
export class ShopStockResolver {
  @FieldResolver(() => ProductVariantConnection, {
    description: 'Live variants at or below their low-stock warning line (available ≤ lowStockThreshold), by ID (the shop’s members and staff).',
  })
  lowStockVariants(@Root() shop: Shop, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(stock.lowStockVariants(ctx, shop, args));
  }

  @FieldResolver(() => StockAlertConnection, { description: 'Low-stock alerts: each time a variant fell to or below its warning line, newest first (the shop’s members and staff).' })
  stockAlerts(@Root() shop: Shop, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(stock.stockAlerts(ctx, shop, args));
  }
}

@Resolver(() => StockMovement)
export class StockMovementResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who made the change; null for the system or a deleted account (the shop’s members and staff).' })
  actor(@Root() movement: StockMovement, @Ctx() ctx: Context): Promise<User | null> | null {
    return movement.actor ? ctx.loaders.userById.load(movement.actor.id) : null;
  }
}

@Resolver(() => Stocktake)
export class StocktakeResolver {
  @FieldResolver(() => Shop, { description: 'The shop counted.' })
  async shop(@Root() stocktake: Stocktake, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(stocktake.shop.id))!;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who recorded it; null for a deleted account.' })
  actor(@Root() stocktake: Stocktake, @Ctx() ctx: Context): Promise<User | null> | null {
    return stocktake.actor ? ctx.loaders.userById.load(stocktake.actor.id) : null;
  }

  @FieldResolver(() => [StocktakeLine], { description: 'The counted variants, in the order submitted.' })
  lines(@Root() stocktake: Stocktake, @Ctx() ctx: Context): Promise<StocktakeLine[]> {
    return ctx.loaders.linesByStocktakeId.load(stocktake.id);
  }
}

@Resolver(() => StocktakeLine)
export class StocktakeLineResolver {
  @FieldResolver(() => ProductVariant, { description: 'The variant counted.' })
  async variant(@Root() line: StocktakeLine, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(line.variant.id))!;
  }
}

@Resolver(() => StockAlert)
export class StockAlertResolver {
  @FieldResolver(() => ProductVariant, { description: 'The variant low on stock.' })
  async variant(@Root() alert: StockAlert, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(alert.variant.id))!;
  }
}
