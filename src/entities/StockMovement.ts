import { BigIntType, Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ProductVariant } from './Product';
import { Shop } from './Shop';
import { User } from './User';

export enum StockMovementReason {
  INITIAL = 'INITIAL',
  RESTOCK = 'RESTOCK',
  CORRECTION = 'CORRECTION',
  DAMAGE = 'DAMAGE',
  RETURN = 'RETURN',
  STOCKTAKE = 'STOCKTAKE',
  RESERVE = 'RESERVE',
  RELEASE = 'RELEASE',
  SALE = 'SALE',
  EXCHANGE = 'EXCHANGE',
  FLASH_SALE_HOLD = 'FLASH_SALE_HOLD',
  FLASH_SALE_RETURN = 'FLASH_SALE_RETURN',
}

registerEnumType(StockMovementReason, {
  name: 'StockMovementReason',
  description: 'Why stock changed.',
  valuesConfig: {
    INITIAL: { description: 'Stock given when the variant was created.' },
    RESTOCK: { description: 'Goods received.' },
    CORRECTION: { description: 'A manual correction by the shop.' },
    DAMAGE: { description: 'Goods damaged or lost.' },
    RETURN: { description: 'Goods returned by a buyer back into stock.' },
    STOCKTAKE: { description: 'The difference found by a stocktake (盤點).' },
    RESERVE: { description: 'Reserved by a checkout awaiting payment.' },
    RELEASE: { description: 'A reservation released (checkout expired or order cancelled).' },
    SALE: { description: 'A paid order turned its reservation into a sale.' },
    EXCHANGE: { description: 'Replacement units sent to a buyer for an after-sale exchange.' },
    FLASH_SALE_HOLD: { description: 'Units set aside for an approved flash-sale item (sold from the item until the sale ends).' },
    FLASH_SALE_RETURN: { description: 'A flash-sale item’s units back in stock: unsold at the end of the sale, or of an order cancelled after it ended.' },
  },
});

/** The stock ledger: every change of on-hand or reserved stock is one row. Append-only. */
@ObjectType({ description: 'One change of a variant’s stock.' })
@Entity({ tableName: 'stock_movement' })
@Index({ name: 'stock_movement_variant_idx', properties: ['variant', 'id'] })
@Index({ name: 'stock_movement_shop_idx', properties: ['shop', 'id'] })
export class StockMovement {
  declare [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @ManyToOne('ProductVariant', { deleteRule: 'cascade' })
  variant!: Rel<ProductVariant>;

  @Field(() => Int, { description: 'Change of on-hand stock.' })
  @Property({ type: 'int' })
  deltaOnHand!: number;

  @Field(() => Int, { description: 'Change of reserved stock.' })
  @Property({ type: 'int' })
  deltaReserved!: number;

  @Field(() => StockMovementReason, { description: 'Why.' })
  @Enum({ items: () => StockMovementReason })
  reason!: StockMovementReason;

  @Field(() => String, { nullable: true, description: 'Free-text note.' })
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  @Index({ name: 'stock_movement_actor_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor?: Rel<User> | null;

  /** The order whose checkout, payment or cancellation moved the stock. */
  @Property({ type: 'bigint', nullable: true })
  orderId?: string | null;

  /** The stocktake that found the difference. */
  @Property({ type: 'bigint', nullable: true })
  stocktakeId?: string | null;

  @Field(() => Date, { name: 'at', description: 'When it happened.' })
  @Property({ type: 'timestamptz', length: 3, defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
