import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { applyPermissions } from '../permissions';
import { AddressResolver } from '../resolvers/AddressResolver';
import { AuditResolver } from '../resolvers/AuditResolver';
import { CartLineResolver, CartResolver, CartShopGroupResolver } from '../resolvers/CartResolver';
import { BrandResolver } from '../resolvers/BrandResolver';
import { CategoryResolver } from '../resolvers/CategoryResolver';
import { IdentityResolver } from '../resolvers/IdentityResolver';
import { ApplicationDecisionResolver, MerchantApplicationResolver } from '../resolvers/MerchantApplicationResolver';
import { NodeResolver } from '../resolvers/NodeResolver';
import { CheckoutResolver, OrderLineResolver, OrderResolver, PaymentResolver, RefundResolver, ShopOrdersResolver } from '../resolvers/OrderResolver';
import { ProductResolver, ProductVariantResolver, ShopProductsResolver } from '../resolvers/ProductResolver';
import { ShopMemberResolver } from '../resolvers/ShopMemberResolver';
import { ShippingTemplateResolver, ShopShippingResolver } from '../resolvers/ShippingResolver';
import { ShopResolver } from '../resolvers/ShopResolver';
import { ShopStockResolver, StockAlertResolver, StockMovementResolver, StockResolver, StocktakeLineResolver, StocktakeResolver, VariantStockResolver } from '../resolvers/StockResolver';
import { TeamResolver } from '../resolvers/TeamResolver';
import { TrainingResolver } from '../resolvers/TrainingResolver';

export const resolvers = [
  NodeResolver,
  IdentityResolver,
  ShopResolver,
  ShopMemberResolver,
  CategoryResolver,
  MerchantApplicationResolver,
  ApplicationDecisionResolver,
  TrainingResolver,
  TeamResolver,
  AuditResolver,
  BrandResolver,
  ProductResolver,
  ProductVariantResolver,
  ShopProductsResolver,
  AddressResolver,
  ShippingTemplateResolver,
  ShopShippingResolver,
  CartResolver,
  CartShopGroupResolver,
  CartLineResolver,
  StockResolver,
  VariantStockResolver,
  ShopStockResolver,
  StockMovementResolver,
  StocktakeResolver,
  StocktakeLineResolver,
  StockAlertResolver,
  OrderResolver,
  OrderLineResolver,
  CheckoutResolver,
  PaymentResolver,
  RefundResolver,
  ShopOrdersResolver,
] as const;

let cached: GraphQLSchema | undefined;

/** The executable schema without permissions (for printing and rule-coverage checks). */
export function buildBareSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers,
    validate: false,
    emitSchemaFile: false,
    // API.md names the time scalar DateTime (ISO-8601, UTC).
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
  return cached;
}

/** The schema the server runs: type-graphql resolvers wrapped in the shield permission tree. */
export function buildSchema(): GraphQLSchema {
  return applyPermissions(buildBareSchema());
}

/** The SDL committed as schema.graphql. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(buildBareSchema()))}\n`;
}
