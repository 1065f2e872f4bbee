import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FlashSale, FlashSaleItem } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';
import { DecimalScalar } from '../shared/scalars';
import { Multiline } from '../shared/textRule';

/** Where a flash sale stands, read off the clock (`flashSaleStatus`). */
export enum FlashSaleStatus {
  UPCOMING = 'UPCOMING',
  LIVE = 'LIVE',
  ENDED = 'ENDED',
}

registerEnumType(FlashSaleStatus, {
  name: 'FlashSaleStatus',
  description: 'Where a flash sale stands now.',
  valuesConfig: {
    UPCOMING: { description: 'Before `startsAt`: shops may nominate items, staff review them.' },
    LIVE: { description: 'From `startsAt` until `endsAt`: its approved items sell at their sale price.' },
    ENDED: { description: 'From `endsAt`: the task `end-flash-sales` returns unsold units to stock.' },
  },
});

export enum FlashSaleItemDecision {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
}

registerEnumType(FlashSaleItemDecision, {
  name: 'FlashSaleItemDecision',
  description: 'Staff’s decision on a nominated flash-sale item.',
  valuesConfig: {
    APPROVE: { description: 'Approve: the item’s quantity is set aside from the variant’s stock now (INSUFFICIENT_STOCK when it lacks them).' },
    REJECT: { description: 'Reject, with a reason the shop sees.' },
  },
});

@InputType({ description: 'A variant offered in a flash sale.' })
export class FlashSaleOfferInput {
  @Field(() => ID, { description: 'The variant (not removed) of a product on sale.' })
  variantId!: string;

  @Field(() => DecimalScalar, { description: 'The sale price, more than 0 and less than the variant’s price.' })
  salePrice!: string;

  @Field(() => Int, { description: 'Units offered, 1 to 100,000: set aside from the variant’s stock when approved.' })
  quantity!: number;

  @Field(() => Int, { defaultValue: 1, description: 'Units one buyer may have at the sale price in orders not cancelled (paid or not), 1 to 100.' })
  perUserLimit!: number;
}

@InputType({ description: 'A new flash sale (staff OPERATIONS).' })
export class FlashSaleInput {
  @Field({ description: 'Title shown to shoppers, 2 to 40 characters, e.g. "雙12 秒殺".' })
  title!: string;

  @Field(() => Date, { description: 'When it starts.' })
  startsAt!: Date;

  @Field(() => Date, { description: 'When it ends (exclusive): after `startsAt`, in the future, at most 7 days after the start.' })
  endsAt!: Date;

  @Field(() => [FlashSaleOfferInput], {
    nullable: true,
    description: 'Items staff place themselves, at most 100, each a different variant of any shop: approved at once, their quantities set aside from stock. Shops nominate theirs with `nominateFlashSaleItem`.',
  })
  items?: FlashSaleOfferInput[] | null;
}

@InputType({ description: 'A shop’s nomination of one of its variants for a flash sale that has not started.' })
export class FlashSaleItemInput extends FlashSaleOfferInput {
  @Field(() => ID, { description: 'The flash sale, not started yet.' })
  flashSaleId!: string;
}

@InputType({ description: 'Staff’s review of a nominated flash-sale item (staff OPERATIONS).' })
export class ReviewFlashSaleItemInput {
  @Field(() => ID, { description: 'The item, NOMINATED, of a sale that has not ended.' })
  itemId!: string;

  @Field(() => FlashSaleItemDecision, { description: 'The decision.' })
  decision!: FlashSaleItemDecision;

  @Multiline()
  @Field(() => String, { nullable: true, description: 'Why: required to reject, 3 to 200 characters; the shop sees it.' })
  reason?: string | null;
}

@ObjectType({ description: 'Result of `createFlashSale`.' })
export class FlashSalePayload {
  @Field(() => FlashSale, { nullable: true, description: 'The flash sale; null when `errors` is not empty.' })
  flashSale?: FlashSale | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `nominateFlashSaleItem` and `reviewFlashSaleItem`.' })
export class FlashSaleItemPayload {
  @Field(() => FlashSaleItem, { nullable: true, description: 'The item; null when `errors` is not empty.' })
  flashSaleItem?: FlashSaleItem | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Filters of the flash-sale list.' })
export class FlashSaleFilter {
  @Field(() => FlashSaleStatus, { nullable: true, description: 'Only sales in this state now.' })
  status?: FlashSaleStatus | null;
}

export const { ConnectionType: FlashSaleConnection } = connectionTypes(FlashSale);
