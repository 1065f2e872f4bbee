import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { CartLine, ProductVariant } from '../../entities';
import * as cart from '../../services/orders';
import { money } from '../../services/shared';
import { Cart, CartLineProblem, CartPayload, AddToCartInput, CheckoutQuote, CheckoutQuoteInput, UpdateCartLineInput } from '../../schema/orders/cart';
import { Failure, FailureError } from '../../errors';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { payload } from '../shared/payload';

const wrap = (result: Cart) => ({ cart: result });

@Resolver(() => Cart)
export class CartResolver {
  @Query(() => Cart, { description: 'Your cart, grouped by shop, with shipping quoted for your default address.' })
  cart(@Ctx() ctx: Context): Promise<Cart> {
    return cart.loadCart(ctx);
  }

  @Mutation(() => CartPayload, { description: 'Add units of a variant on sale to your cart (to its line if the variant has one). A line holds at most 999 units; an addition beyond that, or beyond the stock available, is refused.' })
  addToCart(@Arg('input', { description: INPUT_DESCRIPTION }) input: AddToCartInput, @Ctx() ctx: Context): Promise<CartPayload> {
    return payload(() => cart.addToCart(ctx, { variantId: decodeId('ProductVariant', input.variantId), quantity: input.quantity }), wrap);
  }

  @Mutation(() => CartPayload, { description: 'Set the quantity of one of your cart lines (1–999); 0 removes the line.' })
  updateCartLine(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateCartLineInput, @Ctx() ctx: Context): Promise<CartPayload> {
    return payload(() => cart.updateCartLine(ctx, { lineId: decodeId('CartLine', input.lineId), quantity: input.quantity }), wrap);
  }

  @Query(() => CheckoutQuote, { description: 'What `checkout` with these lines, address and coupons would charge now, priced by the same engine as the cart and checkout. Coupons that cannot be used are refused with COUPON_NOT_APPLICABLE or COUPON_EXPIRED.' })
  async checkoutQuote(@Arg('input', { description: INPUT_DESCRIPTION }) input: CheckoutQuoteInput, @Ctx() ctx: Context): Promise<CheckoutQuote> {
    try {
      return await cart.checkoutQuote(ctx, decodeInput(input, { addressId: 'Address', lineIds: ['CartLine'], couponIds: ['UserCoupon'] }));
    } catch (err) {
      // A query has no payload `errors`: its refusals are thrown with their codes (unmasked).
      throw err instanceof Failure ? new FailureError(err) : err;
    }
  }
}

@Resolver(() => CartLine)
export class CartLineResolver {
  @FieldResolver(() => ProductVariant, { description: 'The variant (SKU) in the line.' })
  async variant(@Root() line: CartLine, @Ctx() ctx: Context): Promise<ProductVariant> {
    return (await ctx.loaders.variantById.load(line.variant.id))!;
  }

  @FieldResolver(() => Money, { description: 'Unit price × quantity, at the current price (shown also for a line with a problem).' })
  async lineTotal(@Root() line: CartLine, @Ctx() ctx: Context): Promise<Money> {
    const variant = (await ctx.loaders.variantById.load(line.variant.id))!;
    return money(variant.price * line.quantity, ctx.deps.config.currency);
  }

  @FieldResolver(() => CartLineProblem, { nullable: true, description: 'Why the line cannot be bought as it is; null when it can.' })
  async problem(@Root() line: CartLine, @Ctx() ctx: Context): Promise<CartLineProblem | null> {
    const variant = (await ctx.loaders.variantById.load(line.variant.id))!;
    const product = (await ctx.loaders.productById.load(variant.product.id))!;
    return cart.lineProblem(line.quantity, variant, product, await ctx.loaders.liveFlashItemByVariantId.load(variant.id));
  }
}
