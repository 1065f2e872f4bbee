import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { type ShippingRuleData, ShippingTemplate, Shop } from '../../entities';
import { money } from '../../services/shared';
import * as shipping from '../../services/orders';
import { ShippingRegionRule, ShippingRule, ShippingTemplateInput, ShippingTemplatePayload, UpdateShippingTemplateInput } from '../../schema/orders/shipping';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId } from '../../schema/shared/globalId';
import { Money } from '../../schema/shared/money';
import { payload } from '../shared/payload';

const wrap = (shippingTemplate: ShippingTemplate) => ({ shippingTemplate });

function ruleOf(rule: ShippingRuleData, currency: string): ShippingRule {
  return { firstUnits: rule.firstUnits, firstFee: money(rule.firstFee, currency), additionalUnits: rule.additionalUnits, additionalFee: money(rule.additionalFee, currency) };
}

@Resolver(() => ShippingTemplate)
export class ShippingTemplateResolver {
  @Mutation(() => ShippingTemplatePayload, { description: 'Create a shipping-fee template (運費模板) for a shop (OWNER, MANAGER, OPERATOR). The shop’s first template is its default.' })
  createShippingTemplate(@Arg('input', { description: INPUT_DESCRIPTION }) input: ShippingTemplateInput, @Ctx() ctx: Context): Promise<ShippingTemplatePayload> {
    return payload(() => shipping.createShippingTemplate(ctx, { ...input, shopId: decodeId('Shop', input.shopId) }), wrap);
  }

  @Mutation(() => ShippingTemplatePayload, { description: 'Change a shipping-fee template, or make it the shop’s default (OWNER, MANAGER, OPERATOR).' })
  updateShippingTemplate(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateShippingTemplateInput, @Ctx() ctx: Context): Promise<ShippingTemplatePayload> {
    return payload(() => shipping.updateShippingTemplate(ctx, { ...input, id: decodeId('ShippingTemplate', input.id) }), wrap);
  }

  @FieldResolver(() => Shop, { description: 'The shop it belongs to.' })
  async shop(@Root() template: ShippingTemplate, @Ctx() ctx: Context): Promise<Shop> {
    return (await ctx.loaders.shopById.load(template.shop.id))!;
  }

  @FieldResolver(() => [ShippingRegionRule], { description: 'Rules by province; the first rule listing the address province applies.' })
  rules(@Root() template: ShippingTemplate, @Ctx() ctx: Context): ShippingRegionRule[] {
    return template.rules.map((rule) => ({ regions: rule.regions, ...ruleOf(rule, ctx.deps.config.currency) }));
  }

  @FieldResolver(() => ShippingRule, { description: 'The rule for every province no rule lists, and for carts without an address.' })
  defaultRule(@Root() template: ShippingTemplate, @Ctx() ctx: Context): ShippingRule {
    return ruleOf(template.defaultRule, ctx.deps.config.currency);
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Shipping is free when the shop group’s subtotal reaches this amount; null for never.' })
  freeShippingThreshold(@Root() template: ShippingTemplate, @Ctx() ctx: Context): Money | null {
    return template.freeShippingThreshold == null ? null : money(template.freeShippingThreshold, ctx.deps.config.currency);
  }
}

@Resolver(() => Shop)
export class ShopShippingResolver {
  @FieldResolver(() => [ShippingTemplate], { description: 'The shop’s shipping-fee templates, the default first (members and staff).' })
  shippingTemplates(@Root() shop: Shop, @Ctx() ctx: Context): Promise<ShippingTemplate[]> {
    return ctx.loaders.shippingTemplatesByShopId.load(shop.id);
  }
}
