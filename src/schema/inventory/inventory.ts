import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ProductVariant, StockAlert, StockMovement, StockMovementReason, Stocktake } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { Multiline } from '../shared/textRule';

/** The ledger reasons a shop may give for a manual adjustment; the others are written by the system. */
export const StockAdjustmentReason = {
  RESTOCK: StockMovementReason.RESTOCK,
  CORRECTION: StockMovementReason.CORRECTION,
  DAMAGE: StockMovementReason.DAMAGE,
  RETURN: StockMovementReason.RETURN,
} as const;
export type StockAdjustmentReason = (typeof StockAdjustmentReason)[keyof typeof StockAdjustmentReason];

registerEnumType(StockAdjustmentReason, {
  name: 'StockAdjustmentReason',
  description: 'Why a shop adjusts stock by hand; recorded in the stock ledger.',
  valuesConfig: {
    RESTOCK: { description: 'Goods received (補貨).' },
    CORRECTION: { description: 'A correction of a wrong count.' },
    DAMAGE: { description: 'Goods damaged or lost.' },
    RETURN: { description: 'Goods returned by a buyer back into stock.' },
  },
});

@InputType({ description: 'A manual change of a variant’s on-hand stock (shop OWNER, MANAGER, OPERATOR).' })
export class AdjustStockInput {
  @Field(() => ID, { description: 'The variant.' })
  variantId!: string;

  @Field(() => Int, { description: 'Units to add (positive) or remove (negative); not zero, at most 1,000,000 either way. On-hand stock never falls below the reserved units.' })
  delta!: number;

  @Field(() => StockAdjustmentReason, { description: 'Why.' })
  reason!: StockAdjustmentReason;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Free-text note, at most 500 characters.' })
  note?: string | null;
}

@ObjectType({ description: 'Result of `adjustStock`.' })
export class AdjustStockPayload {
  @Field(() => ProductVariant, { nullable: true, description: 'The variant with its new stock; null when `errors` is not empty.' })
  variant?: ProductVariant | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'The units counted of one variant.' })
export class StocktakeCountInput {
  @Field(() => ID, { description: 'The variant; a variant of the stocktake’s shop, at most once per stocktake.' })
  variantId!: string;

  @Field(() => Int, { description: 'Units counted on hand, 0–1,000,000; not below the units reserved by checkouts.' })
  counted!: number;
}

@InputType({ description: 'A stocktake (盤點) of some of a shop’s variants (shop OWNER, MANAGER, OPERATOR).' })
export class StocktakeInput {
  @Field(() => ID, { description: 'The shop.' })
  shopId!: string;

  @Field(() => [StocktakeCountInput], { description: 'The counts, 1 to 500. Each variant’s on-hand stock is set to its count; differences go to the stock ledger.' })
  counts!: StocktakeCountInput[];

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Free-text note, at most 500 characters.' })
  note?: string | null;
}

@ObjectType({ description: 'Result of `submitStocktake`.' })
export class StocktakePayload {
  @Field(() => Stocktake, { nullable: true, description: 'The recorded stocktake; null when `errors` is not empty.' })
  stocktake?: Stocktake | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

export const { ConnectionType: StockMovementConnection } = connectionTypes(StockMovement);
export const { ConnectionType: StockAlertConnection } = connectionTypes(StockAlert);
export const { ConnectionType: ProductVariantConnection } = connectionTypes(ProductVariant);
