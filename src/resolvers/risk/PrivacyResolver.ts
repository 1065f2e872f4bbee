import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { ShippingAddress, User } from '../../entities';
import { type ShippingAddressView, userEmail, userPhone } from '../../services/risk';

/** Personal data by role (services/risk/privacy.ts): whether an address is masked for the viewer. */
@Resolver(() => ShippingAddress)
export class ShippingAddressPrivacyResolver {
  @FieldResolver(() => Boolean, { description: 'Whether the recipient, phone and street are masked for you ("王**", "139****5678", "****"): see `Order.shippingAddress`.' })
  masked(@Root() address: ShippingAddress & Partial<Pick<ShippingAddressView, 'masked'>>): boolean {
    return address.masked === true;
  }
}

/** A user's email and phone masked by role; the fields and their descriptions are the entity's (src/entities/User.ts). */
@Resolver(() => User)
export class UserPrivacyResolver {
  @FieldResolver(() => String)
  email(@Root() user: User, @Ctx() ctx: Context): Promise<string> {
    return userEmail(ctx, user);
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() user: User, @Ctx() ctx: Context): Promise<string | null> {
    return userPhone(ctx, user);
  }
}
