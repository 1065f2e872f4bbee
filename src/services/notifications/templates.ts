import { NotificationKind as K, ShopMemberRole as R } from '../../entities';

/** An outbox event as the dispatcher reads it. */
export interface PendingEvent {
  id: string;
  type: K;
  shopId: string | null;
  userId: string | null;
  subjectType: string;
  subjectId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** Who hears of an event: its own user, the shop's members in some roles, RISK staff. */
export interface Audience {
  user: boolean;
  shopRoles: readonly R[];
  riskStaff: boolean;
}

const ORDERS = [R.OWNER, R.MANAGER, R.OPERATOR] as const;
const SERVICE = [R.OWNER, R.MANAGER, R.OPERATOR, R.CUSTOMER_SERVICE] as const;
/** The roles that may open a shop's tickets (TICKET_SHOP_ROLES): the others would get a link they cannot follow. */
const TICKETS = [R.OWNER, R.CUSTOMER_SERVICE] as const;
const MONEY = [R.OWNER, R.FINANCE] as const;
const MANAGERS = [R.OWNER, R.MANAGER] as const;
const NONE: readonly R[] = [];

/**
 * The audience of each kind. Merchants' notifications go to the members whose role handles the
 * kind: orders and catalog → OWNER/MANAGER/OPERATOR; after-sales → CUSTOMER_SERVICE too; tickets
 * → OWNER/CUSTOMER_SERVICE (who may open them); money → OWNER/FINANCE. The side that acted (a buyer opening a case, a shop replying to a
 * ticket) is not told about its own step.
 */
export function audienceOf(e: PendingEvent): Audience {
  const none = { user: false, shopRoles: NONE, riskStaff: false };
  switch (e.type) {
    case K.ORDER_PLACED:
    case K.ORDER_COMPLETED:
      return none;
    case K.ORDER_PAID:
      return { user: true, shopRoles: ORDERS, riskStaff: false };
    case K.ORDER_ACCEPTED:
    case K.ORDER_SHIPPED:
    case K.ORDER_DELIVERED:
    case K.APPLICATION_DECIDED:
    case K.REVIEW_INVITATION:
    case K.MEMBER_LEVEL_CHANGED:
    case K.REFERRAL_REWARDED:
      return { ...none, user: true };
    case K.ORDER_CANCELLED:
      return { user: true, shopRoles: e.data.wasPaid === true ? ORDERS : NONE, riskStaff: false };
    case K.AFTER_SALE_UPDATED:
      return { user: e.data.party !== 'BUYER', shopRoles: e.data.party === 'MERCHANT' ? NONE : SERVICE, riskStaff: false };
    case K.TICKET_REPLIED:
      return { user: e.data.role !== 'REQUESTER', shopRoles: e.data.role === 'SHOP' ? NONE : TICKETS, riskStaff: false };
    case K.PRODUCT_DECIDED:
    case K.LOW_STOCK:
      return { ...none, shopRoles: ORDERS };
    case K.SCORECARD_LEVEL_CHANGED:
      return { user: false, shopRoles: MANAGERS, riskStaff: e.data.to === 'AT_RISK' };
    case K.SETTLEMENT_CLOSED:
    case K.PAYOUT_PAID:
      return { ...none, shopRoles: MONEY };
    case K.WEBHOOK_DISABLED:
    case K.VIOLATION_RECORDED:
    case K.SHOP_STANDING_CHANGED:
      return { ...none, shopRoles: MANAGERS };
    case K.APPEAL_DECIDED:
      return { ...none, shopRoles: [R.OWNER] };
    case K.ORDER_HELD:
      return { ...none, riskStaff: true };
  }
}

/** Channels a kind uses for someone who has not chosen: the inbox always; email and SMS where they matter. */
export const DEFAULT_CHANNELS: Record<K, { inbox: boolean; email: boolean; sms: boolean }> = {
  [K.ORDER_PLACED]: { inbox: true, email: false, sms: false },
  [K.ORDER_PAID]: { inbox: true, email: true, sms: false },
  [K.ORDER_ACCEPTED]: { inbox: true, email: false, sms: false },
  [K.ORDER_SHIPPED]: { inbox: true, email: true, sms: true },
  [K.ORDER_DELIVERED]: { inbox: true, email: false, sms: false },
  [K.ORDER_COMPLETED]: { inbox: true, email: false, sms: false },
  [K.ORDER_CANCELLED]: { inbox: true, email: true, sms: false },
  [K.AFTER_SALE_UPDATED]: { inbox: true, email: true, sms: false },
  [K.TICKET_REPLIED]: { inbox: true, email: true, sms: false },
  [K.APPLICATION_DECIDED]: { inbox: true, email: true, sms: false },
  [K.PRODUCT_DECIDED]: { inbox: true, email: false, sms: false },
  [K.LOW_STOCK]: { inbox: true, email: true, sms: false },
  [K.REVIEW_INVITATION]: { inbox: true, email: false, sms: false },
  [K.SCORECARD_LEVEL_CHANGED]: { inbox: true, email: true, sms: false },
  [K.SETTLEMENT_CLOSED]: { inbox: true, email: true, sms: false },
  [K.PAYOUT_PAID]: { inbox: true, email: true, sms: false },
  [K.WEBHOOK_DISABLED]: { inbox: true, email: true, sms: false },
  [K.MEMBER_LEVEL_CHANGED]: { inbox: true, email: true, sms: false },
  [K.REFERRAL_REWARDED]: { inbox: true, email: false, sms: false },
  [K.ORDER_HELD]: { inbox: true, email: false, sms: false },
  [K.VIOLATION_RECORDED]: { inbox: true, email: true, sms: false },
  [K.SHOP_STANDING_CHANGED]: { inbox: true, email: true, sms: false },
  [K.APPEAL_DECIDED]: { inbox: true, email: true, sms: false },
};

/** Messages about money changing hands for the person it concerns: never capped (a payment receipt). */
export function isTransactional(e: PendingEvent, toEventUser: boolean): boolean {
  return toEventUser && e.type === K.ORDER_PAID;
}

const text = (v: unknown, fallback = ''): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);

/** Longest title and body of a notification, in characters: the texts they quote (notes, reasons, URLs) are the users'. */
export const MAX_TITLE_CHARS = 120;
export const MAX_BODY_CHARS = 600;

function clip(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Title and body of an event for one side: its own user (`buyer`), or the shop's members and staff.
 * Clipped, so a long note or URL never makes a message too large for a channel (a live message
 * stays far below PostgreSQL's NOTIFY limit whatever the text).
 */
export function render(e: PendingEvent, side: 'user' | 'shop'): { title: string; body: string } {
  const { title, body } = compose(e, side);
  return { title: clip(title, MAX_TITLE_CHARS), body: clip(body, MAX_BODY_CHARS) };
}

function compose(e: PendingEvent, side: 'user' | 'shop'): { title: string; body: string } {
  const d = e.data;
  const order = `Order ${text(d.number)}`;
  switch (e.type) {
    case K.ORDER_PLACED:
      return { title: `${order} placed`, body: 'A new order was placed and awaits payment.' };
    case K.ORDER_PAID:
      return side === 'shop'
        ? { title: `New paid order ${text(d.number)}`, body: 'A buyer paid for an order: review, pack and ship it.' }
        : { title: `${order} paid`, body: 'We received your payment. The shop will prepare your parcel.' };
    case K.ORDER_ACCEPTED:
      return { title: `${order} is being prepared`, body: 'The shop accepted your order and is preparing it.' };
    case K.ORDER_SHIPPED:
      return { title: `${order} shipped`, body: d.note ? `Your parcel is on its way: ${text(d.note)}.` : 'Your parcel is on its way.' };
    case K.ORDER_DELIVERED:
      return { title: `${order} delivered`, body: 'Your parcel was delivered. Tell others what you think of it.' };
    case K.ORDER_COMPLETED:
      return { title: `${order} completed`, body: 'The order is complete.' };
    case K.ORDER_CANCELLED:
      return { title: `${order} cancelled`, body: d.note ? `Cancelled: ${text(d.note)}.` : 'The order was cancelled.' };
    case K.AFTER_SALE_UPDATED:
      return { title: `After-sale case ${text(d.number)}: ${text(d.step).toLowerCase().replace(/_/g, ' ')}`, body: d.note ? text(d.note) : `The case is now ${text(d.status).toLowerCase().replace(/_/g, ' ')}.` };
    case K.TICKET_REPLIED:
      return { title: `Ticket ${text(d.number)} has a reply`, body: text(d.subject, 'Your ticket has a new reply.') };
    case K.APPLICATION_DECIDED: {
      const decision = { APPROVE: 'approved', REJECT: 'rejected', REQUEST_CHANGES: 'sent back for changes' }[text(d.decision)] ?? 'decided';
      return { title: `Your application for ${text(d.shopName, 'your shop')} was ${decision}`, body: d.reason ? text(d.reason) : 'See the application for details.' };
    }
    case K.PRODUCT_DECIDED: {
      const decision = { APPROVE: 'approved', REJECT: 'rejected', BAN: 'banned' }[text(d.action)] ?? 'decided';
      return { title: `"${text(d.title)}" was ${decision}`, body: d.reason ? text(d.reason) : 'See the product for details.' };
    }
    case K.LOW_STOCK:
      return { title: `Low stock: ${text(d.title)} (${text(d.sku)})`, body: `${text(d.available)} left, at or below the warning line of ${text(d.threshold)}.` };
    case K.REVIEW_INVITATION:
      return { title: `How was ${text(d.title, 'your purchase')}?`, body: 'Rate it and share photos to help other buyers.' };
    case K.SCORECARD_LEVEL_CHANGED:
      return { title: `Scorecard level now ${text(d.to)}`, body: `Score ${text(d.score, '–')}${d.from ? `, was ${text(d.from)}` : ''}.` };
    case K.SETTLEMENT_CLOSED:
      return { title: 'Settlement closed', body: `The period ending ${text(d.periodEnd)} closed with ${text(d.orderCount)} orders.` };
    case K.PAYOUT_PAID:
      return { title: 'Payout paid', body: 'A payout reached your account.' };
    case K.WEBHOOK_DISABLED:
      return { title: 'Webhook disabled', body: `Deliveries to ${text(d.url)} failed for 24 hours; the subscription was disabled.` };
    case K.MEMBER_LEVEL_CHANGED:
      return Number(d.toRank) > Number(d.fromRank ?? -1)
        ? { title: `Welcome to ${text(d.level)}`, body: `You reached the member level ${text(d.level)}: see its privileges in your membership.` }
        : { title: `Your member level is now ${text(d.level)}`, body: 'Your level follows your spend over the last year; shop again to move back up.' };
    case K.REFERRAL_REWARDED:
      return { title: `${text(d.points)} referral points`, body: 'Thanks for bringing a friend: the points are in your balance.' };
    case K.ORDER_HELD:
      return { title: `${order} held by risk control`, body: `Risk score ${text(d.score, '–')}: release it or cancel it with a refund from the risk queue.` };
    case K.VIOLATION_RECORDED:
      return { title: `Violation recorded: ${text(d.kind).toLowerCase().replace(/_/g, ' ')}`, body: `${text(d.points)} points${d.reason ? `: ${text(d.reason)}` : ''}. You may appeal it.` };
    case K.SHOP_STANDING_CHANGED: {
      const standing = { RESTRICTED: 'restricted: no new listings or campaigns', SUSPENDED: 'suspended', RESTORED: 'restored' }[text(d.standing)] ?? text(d.standing).toLowerCase();
      return { title: `Your shop is ${standing}`, body: `Violation points: ${text(d.points)}.` };
    }
    case K.APPEAL_DECIDED:
      return { title: `Appeal ${text(d.decision) === 'ACCEPT' ? 'accepted' : 'rejected'}`, body: d.reason ? text(d.reason) : 'See the violation for details.' };
  }
}
