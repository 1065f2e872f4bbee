/** The GraphQL operations the benchmark sends, written as a storefront and a merchant console would. */

/** What a storefront shows of each product on a catalog page: variants, shop, brand and category. */
const PAGE_NODES = `nodes {
      id title imageUrls salesCount
      priceRange { min { amount } max { amount } }
      shop { id name slug }
      brand { id name }
      category { id name }
      variants { id sku title inStock price { amount } compareAtPrice { amount } options { name value } }
    }`;

/** A catalog page as a storefront shows it: 20 products with variants, shop, brand and category. */
export const PRODUCTS = `query Products($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage endCursor }
    ${PAGE_NODES}
  }
}`;

/**
 * The same catalog page with the facets a storefront shows beside it: counts per category and per
 * brand of the whole result (the `facets` scenario).
 */
export const PRODUCTS_WITH_FACETS = `query ProductsWithFacets($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets {
      categories { category { id name } count }
      brands { brand { id name } count }
    }
    ${PAGE_NODES}
  }
}`;

/** The product detail fields: what `detail` asks for, and what the product page asks for besides its reviews. */
const PRODUCT_FIELDS = `id title description imageUrls tags salesCount listedAt status
    attributes { name value }
    priceRange { min { amount } max { amount } }
    shop { id name slug logoUrl }
    brand { id name }
    category { id name }
    breadcrumb { id name slug }
    variants { id sku title inStock price { amount currency } compareAtPrice { amount } options { name value } }`;

/** Product detail without ratings or reviews (the `detail` scenario). */
export const PRODUCT = `query Product($id: ID!) {
  product(id: $id) {
    ${PRODUCT_FIELDS}
  }
}`;

/**
 * The product page as a storefront sends it (`detail-reviews`): the same product fields, its
 * rating (kept on the product row), and the first page of its published reviews, newest first, in
 * one document.
 */
export const PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) {
    ${PRODUCT_FIELDS}
    rating { average count distribution aspects { description service logistics count } }
  }
  productReviews(productId: $id, first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id rating body photoUrls anonymous reviewerName createdAt variantTitle
      aspects { description service logistics }
      followUp { body at }
      reply { body at }
      helpfulCount
    }
  }
}`;

/**
 * The cart page: lines by shop with their totals, the discounts the promotions give, and the coupons
 * of the shopper's that would take something off (empty lists when there are none).
 */
export const CART = `query Cart {
  cart {
    id
    subtotal { amount } shippingTotal { amount } discountTotal { amount } total { amount }
    shippingAddress { id province city }
    discounts { source title fundedBy amount { amount } }
    applicableCoupons { discount { amount } coupon { id title validUntil } }
    groups { shop { id name } subtotal { amount } shippingFee { amount } discountTotal { amount } total { amount } lines { id } }
    lines { id quantity problem lineTotal { amount } variant { id sku title price { amount } product { id title } } }
  }
}`;

export const SHOP_ORDERS = `query ShopOrders($slug: String!) {
  shop(slug: $slug) {
    id
    orders(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id number status placedAt paidAt
        subtotal { amount } shippingFee { amount } total { amount }
        shippingAddress { recipientName province city }
        lines { productTitle variantTitle sku quantity unitPrice { amount } lineTotal { amount } }
      }
    }
  }
}`;

export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { accessToken user { id } errors { code } } }`;
export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } errors { code } } }`;
export const MY_ADDRESSES = `query MyAddresses { myAddresses { id isDefault } }`;
export const CREATE_ADDRESS = `mutation CreateAddress($input: AddressInput!) { createAddress(input: $input) { address { id } errors { code field } } }`;
export const ADJUST_STOCK = `mutation AdjustStock($input: AdjustStockInput!) { adjustStock(input: $input) { variant { id stock { onHand reserved available } } errors { code field message } } }`;

/** A merchant console's product edit (the `mixed` scenario sends the full variant list with one price changed). */
export const UPDATE_PRODUCT = `mutation UpdateProduct($input: UpdateProductInput!) { updateProduct(input: $input) { product { id status priceRange { min { amount } } } errors { code field message } } }`;
/** A merchant console's new product, created as a DRAFT (the `mixed` scenario). */
export const CREATE_PRODUCT = `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { product { id status } errors { code field message } } }`;

export const ADD_TO_CART = `mutation AddToCart($input: AddToCartInput!) { addToCart(input: $input) { cart { total { amount } } errors { code field } } }`;
export const CHECKOUT = `mutation Checkout($input: CheckoutInput!, $key: String!) {
  checkout(input: $input, idempotencyKey: $key) { checkout { id status total { amount } orders { id number } } errors { code field } }
}`;
export const PAY_CHECKOUT = `mutation PayCheckout($input: PayCheckoutInput!) { payCheckout(input: $input) { payment { id status amount { amount } } errors { code } } }`;
export const SUBMIT_STOCKTAKE = `mutation SubmitStocktake($input: StocktakeInput!) { submitStocktake(input: $input) { stocktake { id } errors { code field message } } }`;

/**
 * The live feeds the `feed` scenario holds open over graphql-ws: a merchant console's order feed
 * (the event's `id` tells a redelivery from a new event) and a shopper's notification bell.
 */
export const SHOP_ORDER_EVENTS = `subscription ShopOrderEvents($shopId: ID!) { shopOrderEvents(shopId: $shopId) { id type status at order { id number } } }`;
export const NOTIFICATION_ADDED = `subscription NotificationAdded { notificationAdded { id kind link createdAt } }`;
