import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { applyKeyset, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { dailyNumbers } from '../../db/numbers';
import { entitiesByIds, entityWhere, lockById, rowShape, selectRows } from '../../db/rows';
import { Order, Product, Shop, ShopMember, ShopMemberRole, StaffRole, Ticket, TicketKind, TicketMessage, TicketMessageKind, TicketParty, TicketStatus, User } from '../../entities';
import { BadInputError, Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import type { Viewer } from '../../viewer';
import { visibleProduct } from '../catalog';
import { visibleShop } from '../onboarding';
import { recordAudit } from '../platform';
import { checkAttachmentUrls, checkText, transition, type TransitionTable } from '../shared';

/**
 * Customer-service tickets (客服工單, 投訴): a signed-in user opens one about a question, a shop, a
 * product or a delivery; customer service staff and the named shop's OWNER and CUSTOMER_SERVICE
 * members answer; staff assign and resolve it; the requester rates it, which closes it. Whatever a
 * party writes is appended as a TicketMessage, never edited. The first reply by anyone but the
 * requester stamps `firstRespondedAt`; `ticket-sla` flags tickets left unanswered past
 * `firstResponseDueAt` (TICKET_FIRST_RESPONSE_HOURS after opening), once each.
 */

/** Staff who see, answer, assign and resolve every ticket, keep the FAQ and read the service figures (ADMIN passes too). */
export const TICKET_STAFF: readonly StaffRole[] = [StaffRole.CUSTOMER_SERVICE];
/** Shop roles that see and answer the tickets naming their shop. */
export const TICKET_SHOP_ROLES: readonly ShopMemberRole[] = [ShopMemberRole.OWNER, ShopMemberRole.CUSTOMER_SERVICE];

export type TicketStep = 'ask' | 'followUp' | 'reopen' | 'respond' | 'askCustomer' | 'resolve' | 'rate';

const { OPEN, IN_PROGRESS, WAITING_ON_CUSTOMER, RESOLVED, CLOSED } = TicketStatus;
const ANSWERING = [TicketParty.STAFF, TicketParty.SHOP] as const;

/** The ticket life cycle: who may take each step from where. A reply's step depends on who writes and the status. */
export const TICKET_TRANSITIONS: TransitionTable<TicketStatus, TicketStep, TicketParty> = {
  // The requester adds to a ticket nobody has answered yet: the first-response timer keeps running.
  ask: { from: [OPEN], to: OPEN, by: [TicketParty.REQUESTER] },
  followUp: { from: [IN_PROGRESS, WAITING_ON_CUSTOMER], to: IN_PROGRESS, by: [TicketParty.REQUESTER] },
  // A resolved ticket the requester has not rated reopens when they reply; a rated one is CLOSED.
  reopen: { from: [RESOLVED], to: IN_PROGRESS, by: [TicketParty.REQUESTER] },
  respond: { from: [OPEN, IN_PROGRESS, WAITING_ON_CUSTOMER], to: IN_PROGRESS, by: ANSWERING },
  askCustomer: { from: [OPEN, IN_PROGRESS, WAITING_ON_CUSTOMER], to: WAITING_ON_CUSTOMER, by: ANSWERING },
  resolve: { from: [OPEN, IN_PROGRESS, WAITING_ON_CUSTOMER], to: RESOLVED, by: [TicketParty.STAFF] },
  rate: { from: [RESOLVED], to: CLOSED, by: [TicketParty.REQUESTER] },
};

const HOUR = 3_600_000;

// --- Who may see a ticket -----------------------------------------------------------------------

/**
 * The party the viewer acts as on `ticket`: its requester; staff CUSTOMER_SERVICE (and ADMIN); an
 * OWNER or CUSTOMER_SERVICE member of the shop it names. Null for anyone else, to whom the ticket
 * does not exist.
 */
export async function ticketParty(ctx: Context, ticket: Ticket): Promise<TicketParty | null> {
  if (ctx.viewer.userId !== null && ticket.requester.id === ctx.viewer.userId) return TicketParty.REQUESTER;
  // Nobody is on two sides: a member of the shop a ticket names answers for the shop (or, in
  // another role, not at all), never as platform staff judging it.
  const role = ticket.shop ? await ctx.viewer.roleIn(ticket.shop.id) : undefined;
  if (role !== undefined) return TICKET_SHOP_ROLES.includes(role) ? TicketParty.SHOP : null;
  return ctx.viewer.hasStaffRole(...TICKET_STAFF) ? TicketParty.STAFF : null;
}

export type TicketListAccess = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * Whether `viewer` may list tickets (`tickets`): staff CUSTOMER_SERVICE every ticket; a shop's OWNER
 * and CUSTOMER_SERVICE members those naming their shop (`shopId`), or all their shops' when none is
 * named. Other roles are FORBIDDEN; to anyone else another shop does not exist (NOT_FOUND).
 */
export async function ticketListAccess(viewer: Viewer, shopId: string | null): Promise<TicketListAccess> {
  if (viewer.hasStaffRole(...TICKET_STAFF)) return 'ALLOWED';
  if (shopId === null) {
    const roles = [...(await viewer.memberships()).values()];
    return roles.some((r) => TICKET_SHOP_ROLES.includes(r)) ? 'ALLOWED' : 'FORBIDDEN';
  }
  const role = await viewer.roleIn(shopId);
  if (role) return TICKET_SHOP_ROLES.includes(role) ? 'ALLOWED' : 'FORBIDDEN';
  return viewer.isStaff ? 'FORBIDDEN' : 'NOT_FOUND';
}

/** Staff CUSTOMER_SERVICE (or ADMIN), checked again here behind the shield. */
export function requireTicketStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...TICKET_STAFF)) throw new ForbiddenError();
}

/** Whether nobody has answered `ticket` and its first response was due by `now`. */
export function isOverdue(ticket: Ticket, now: Date): boolean {
  return !ticket.firstRespondedAt && ticket.firstResponseDueAt.getTime() <= now.getTime();
}

// --- Validation ---------------------------------------------------------------------------------


// --- Opening ------------------------------------------------------------------------------------

export interface OpenTicketInput {
  kind: TicketKind;
  subject: string;
  body: string;
  /** Database keys. */
  orderId?: string | null;
  shopId?: string | null;
  productId?: string | null;
  attachmentUrls?: string[] | null;
}

/**
 * What a ticket names, checked: the order must be the requester's own; a product or shop must be one
 * the requester may see (on sale, or ACTIVE), or one they bought from (a delisted product, a closed
 * shop). Anything else does not exist for them (NOT_FOUND), so a ticket never shows what its
 * requester could not. The order and the product each imply their shop, and a shop given besides
 * must be that one. Returns the database keys.
 */
async function referencesOf(ctx: Context, input: OpenTicketInput): Promise<{ orderId: string | null; productId: string | null; shopId: string | null }> {
  const buyer = ctx.viewer.userId!;
  const order = input.orderId ? await ctx.loaders.orderById.load(input.orderId) : null;
  if (input.orderId && (!order || order.buyer.id !== buyer)) throw new NotFoundError('No such order');
  let product: Product | null = null;
  if (input.productId) {
    product = (await visibleProduct(ctx, input.productId)) ?? (await boughtProduct(ctx, input.productId));
    if (!product) throw new NotFoundError('No such product');
  }
  if (input.shopId && !(await visibleShop(ctx, input.shopId)) && !(await hasOrderedFrom(ctx, input.shopId))) throw new NotFoundError('No such shop');

  const problems = new Problems();
  const shopId = input.shopId ?? order?.shop.id ?? product?.shop.id ?? null;
  if (order && order.shop.id !== shopId) problems.add(UserErrorCode.INVALID_INPUT, 'The order is not of this shop', ['input', 'shopId']);
  if (product && product.shop.id !== shopId) problems.add(UserErrorCode.INVALID_INPUT, 'The product is not of this shop (or of the order’s shop)', ['input', 'productId']);
  problems.throwIfAny();
  return { orderId: order?.id ?? null, productId: product?.id ?? null, shopId };
}

/** The product with key `productId` when the viewer has ordered it (whatever its state now). */
async function boughtProduct(ctx: Context, productId: string): Promise<Product | null> {
  return entityWhere(
    ctx.em,
    Product,
    `e.id = ? and exists (select 1 from order_line l join product_variant v on v.id = l.variant_id join orders o on o.id = l.order_id
                          where v.product_id = e.id and o.buyer_id = ?)`,
    [productId, ctx.viewer.userId],
  );
}

/** Whether the viewer has ever ordered from the shop with key `shopId` (one probe of `orders_shop_idx`). */
async function hasOrderedFrom(ctx: Context, shopId: string): Promise<boolean> {
  const rows = await selectRows(ctx.em, rowShape({ one: 'int' }), 'select 1 as one from orders where shop_id = ? and buyer_id = ? limit 1', [shopId, ctx.viewer.userId]);
  return rows.length > 0;
}


/**
 * Any signed-in user: opens a ticket, its body the first message. What it names is checked by
 * `referencesOf` (the requester's own order; a product or shop they may see or bought from). A
 * complaint about a shop needs a shop (or an order or product of it), about a product the product,
 * about a delivery the order. The first response is due TICKET_FIRST_RESPONSE_HOURS later.
 */
export async function openTicket(ctx: Context, input: OpenTicketInput): Promise<Ticket> {
  const problems = new Problems();
  const subject = checkText(problems, input.subject, ['input', 'subject'], 3, 120, 'Subject');
  const body = checkText(problems, input.body, ['input', 'body'], 1, 5000, 'Body');
  const attachmentUrls = checkAttachmentUrls(problems, input.attachmentUrls, 'attachmentUrls');
  if (input.kind === TicketKind.COMPLAINT_ABOUT_SHOP && !input.shopId && !input.orderId && !input.productId) {
    problems.add(UserErrorCode.INVALID_INPUT, 'A complaint about a shop names the shop, or an order or product of it', ['input', 'shopId']);
  }
  if (input.kind === TicketKind.COMPLAINT_ABOUT_PRODUCT && !input.productId) problems.add(UserErrorCode.INVALID_INPUT, 'A complaint about a product names the product', ['input', 'productId']);
  if (input.kind === TicketKind.COMPLAINT_ABOUT_DELIVERY && !input.orderId) problems.add(UserErrorCode.INVALID_INPUT, 'A complaint about a delivery names the order', ['input', 'orderId']);
  problems.throwIfAny();

  const { orderId, productId, shopId } = await referencesOf(ctx, input);
  return ctx.em.transactional(async (em) => {
    const now = ctx.now();
    const requester = em.getReference(User, ctx.viewer.userId!);
    const ticket = em.create(Ticket, {
      number: (await dailyNumbers(em, 'ticket_number_seq', 1, now, 'T'))[0],
      kind: input.kind,
      subject,
      requester,
      order: orderId ? em.getReference(Order, orderId) : null,
      product: productId ? em.getReference(Product, productId) : null,
      shop: shopId ? em.getReference(Shop, shopId) : null,
      firstResponseDueAt: new Date(now.getTime() + ctx.deps.config.service.ticketFirstResponseHours * HOUR),
      createdAt: now,
      updatedAt: now,
    });
    em.create(TicketMessage, { ticket, author: requester, role: TicketParty.REQUESTER, kind: TicketMessageKind.OPENING, body, attachmentUrls, at: now });
    await em.flush();
    return ticket;
  });
}

// --- Acting on a ticket -------------------------------------------------------------------------

/**
 * Runs `act` on the ticket with key `ticketId`, locked for the transaction, with the party the
 * viewer acts as; a ticket the viewer may not see is NOT_FOUND.
 */
function withTicket<T>(ctx: Context, ticketId: string, act: (em: EntityManager, ticket: Ticket, party: TicketParty) => Promise<T>): Promise<T> {
  return ctx.em.transactional(async (em) => {
    const ticket = await lockById(em, Ticket, ticketId);
    const party = ticket && (await ticketParty(ctx, ticket));
    if (!ticket || !party) throw new NotFoundError('No such ticket');
    return act(em, ticket, party);
  });
}

function addMessage(ctx: Context, em: EntityManager, ticket: Ticket, party: TicketParty, kind: TicketMessageKind, body: string, attachmentUrls: string[], at: Date): void {
  em.create(TicketMessage, { ticket, author: em.getReference(User, ctx.viewer.userId!), role: party, kind, body, attachmentUrls, at });
  if (party !== TicketParty.REQUESTER) ticket.firstRespondedAt ??= at;
  ticket.updatedAt = at;
}

export interface TicketReplyInput {
  ticketId: string;
  body: string;
  attachmentUrls?: string[] | null;
  /** Staff or the shop: the reply asks the requester something (WAITING_ON_CUSTOMER). */
  waitingOnCustomer?: boolean | null;
}

/**
 * The requester, staff CUSTOMER_SERVICE, or the named shop's OWNER and CUSTOMER_SERVICE members:
 * adds a message. Staff and the shop move the ticket to IN_PROGRESS (WAITING_ON_CUSTOMER with
 * `waitingOnCustomer`), their first message stamping the first response; the requester's reply
 * moves WAITING_ON_CUSTOMER back to IN_PROGRESS and reopens a RESOLVED ticket. A CLOSED ticket
 * takes no replies, and only the requester writes to a RESOLVED one (INVALID_TRANSITION).
 */
export async function replyToTicket(ctx: Context, input: TicketReplyInput): Promise<Ticket> {
  const problems = new Problems();
  const body = checkText(problems, input.body, ['input', 'body'], 1, 5000, 'Body');
  const attachmentUrls = checkAttachmentUrls(problems, input.attachmentUrls, 'attachmentUrls');
  problems.throwIfAny();
  return withTicket(ctx, input.ticketId, async (em, ticket, party) => {
    let step: TicketStep;
    if (party === TicketParty.REQUESTER) {
      if (input.waitingOnCustomer) throw new Failure(UserErrorCode.INVALID_INPUT, 'Only customer service or the shop waits on the customer', ['input', 'waitingOnCustomer']);
      step = ticket.status === OPEN ? 'ask' : ticket.status === RESOLVED ? 'reopen' : 'followUp';
    } else {
      step = input.waitingOnCustomer ? 'askCustomer' : 'respond';
    }
    ticket.status = transition(TICKET_TRANSITIONS, step, ticket.status, 'ticket', { actors: [party] });
    if (step === 'reopen') {
      ticket.resolution = null;
      ticket.resolvedAt = null;
    }
    addMessage(ctx, em, ticket, party, TicketMessageKind.REPLY, body, attachmentUrls, ctx.now());
    await em.flush();
    return ticket;
  });
}

/**
 * Staff CUSTOMER_SERVICE: assigns the ticket to a customer service agent (a user with the
 * CUSTOMER_SERVICE or ADMIN staff role), or to another one. A CLOSED ticket is INVALID_TRANSITION.
 * Audited.
 */
export async function assignTicket(ctx: Context, input: { ticketId: string; assigneeId: string }): Promise<Ticket> {
  requireTicketStaff(ctx);
  return withTicket(ctx, input.ticketId, async (em, ticket) => {
    if (ticket.status === CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'Cannot assign a ticket that is CLOSED');
    const [assignee] = await entitiesByIds(em, User, [input.assigneeId]);
    if (!assignee) throw new Failure(UserErrorCode.USER_NOT_FOUND, 'No user with this ID', ['input', 'assigneeId']);
    if (!assignee.staffRoles.some((r) => r === StaffRole.ADMIN || TICKET_STAFF.includes(r))) {
      throw new Failure(UserErrorCode.INVALID_INPUT, 'Tickets are assigned to customer service staff', ['input', 'assigneeId']);
    }
    if (ticket.shop && (await entityWhere(em, ShopMember, 'e.shop_id = ? and e.user_id = ?', [ticket.shop.id, assignee.id]))) {
      throw new Failure(UserErrorCode.INVALID_INPUT, 'The agent is a member of the shop this ticket names', ['input', 'assigneeId']);
    }
    const before = { assigneeId: ticket.assignee?.id ?? null };
    ticket.assignee = assignee;
    ticket.updatedAt = ctx.now();
    await em.flush();
    recordAudit(ctx, em, { action: 'ticket.assign', targetType: 'Ticket', targetId: ticket.id, before, after: { assigneeId: assignee.id } });
    await em.flush();
    return ticket;
  });
}

/**
 * Staff CUSTOMER_SERVICE: resolves the ticket with a resolution, kept as a RESOLUTION message (a
 * first response when nobody had answered yet). The requester may then rate it, or reply to reopen
 * it. Audited.
 */
export async function resolveTicket(ctx: Context, input: { ticketId: string; resolution: string }): Promise<Ticket> {
  requireTicketStaff(ctx);
  const problems = new Problems();
  const resolution = checkText(problems, input.resolution, ['input', 'resolution'], 3, 2000, 'Resolution');
  problems.throwIfAny();
  return withTicket(ctx, input.ticketId, async (em, ticket, party) => {
    const before = { status: ticket.status };
    ticket.status = transition(TICKET_TRANSITIONS, 'resolve', ticket.status, 'ticket', { actors: [party] });
    const now = ctx.now();
    ticket.resolution = resolution;
    ticket.resolvedAt = now;
    addMessage(ctx, em, ticket, party, TicketMessageKind.RESOLUTION, resolution, [], now);
    await em.flush();
    recordAudit(ctx, em, { action: 'ticket.resolve', targetType: 'Ticket', targetId: ticket.id, before, after: { status: ticket.status } });
    await em.flush();
    return ticket;
  });
}

/**
 * The requester's satisfaction survey (滿意度調查) of a RESOLVED ticket: a score from 1 to 5 and an
 * optional comment, once; it closes the ticket. Anyone else who sees the ticket is FORBIDDEN.
 */
export async function rateTicket(ctx: Context, input: { ticketId: string; score: number; comment?: string | null }): Promise<Ticket> {
  const problems = new Problems();
  if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) problems.add(UserErrorCode.INVALID_INPUT, 'The score is a whole number from 1 to 5', ['input', 'score']);
  const comment = input.comment == null ? null : checkText(problems, input.comment, ['input', 'comment'], 0, 1000, 'Comment') || null;
  problems.throwIfAny();
  return withTicket(ctx, input.ticketId, async (em, ticket, party) => {
    ticket.status = transition(TICKET_TRANSITIONS, 'rate', ticket.status, 'ticket', { actors: [party] });
    const now = ctx.now();
    ticket.satisfactionScore = input.score;
    ticket.satisfactionComment = comment;
    ticket.ratedAt = now;
    ticket.closedAt = now;
    ticket.updatedAt = now;
    await em.flush();
    return ticket;
  });
}

// --- Reading ------------------------------------------------------------------------------------

/** One ticket, for its parties (see `ticketParty`); null for anyone else. */
export async function visibleTicket(ctx: Context, key: string): Promise<Ticket | null> {
  const ticket = await entityWhere(ctx.em, Ticket, 'e.id = ?', [key]);
  return ticket && (await ticketParty(ctx, ticket)) ? ticket : null;
}

const NEWEST_FIRST = [
  { column: 'e.created_at', direction: 'desc' as const },
  { column: 'e.id', direction: 'desc' as const },
];

const ticketQuery = (ctx: Context) => ctx.em.createQueryBuilder(Ticket, 'e');

/** A page of tickets newest first (keyset on (created_at, id)) matching `where`. */
async function ticketPage(ctx: Context, args: PageArgs, where: (qb: ReturnType<typeof ticketQuery>) => void): Promise<Page<Ticket>> {
  const window = pageWindow(args, ['timestamp', 'id']);
  const base = () => {
    const qb = ticketQuery(ctx);
    where(qb);
    return qb;
  };
  const rows = await applyKeyset(base(), NEWEST_FIRST, window).getResultList();
  return page(rows, window, (t) => [t.createdAt.toISOString(), t.id], () => base().getCount());
}

/** The viewer's own tickets, newest first. */
export function myTickets(ctx: Context, args: PageArgs): Promise<Page<Ticket>> {
  return ticketPage(ctx, args, (qb) => qb.andWhere({ requester: ctx.viewer.userId! }));
}

export interface TicketFilterInput {
  status?: TicketStatus | null;
  kind?: TicketKind | null;
  /** Database key of the assigned agent. */
  assigneeId?: string | null;
  /** Only unanswered tickets past their first-response due time (true), or only the others (false). */
  overdue?: boolean | null;
  /** Database key of the shop the tickets name. */
  shopId?: string | null;
}

/**
 * Tickets newest first: every ticket for staff CUSTOMER_SERVICE; a shop's OWNER and CUSTOMER_SERVICE
 * members see those naming their shop (`shopId`, or all their shops). Each filter has an index:
 * `overdue: true` reads `ticket_unanswered_idx` (unanswered tickets by due time).
 */
export async function listTickets(ctx: Context, args: PageArgs & { filter?: TicketFilterInput | null }): Promise<Page<Ticket>> {
  const f = args.filter ?? {};
  const access = await ticketListAccess(ctx.viewer, f.shopId ?? null);
  if (access === 'FORBIDDEN') throw new ForbiddenError();
  if (access === 'NOT_FOUND') throw new NotFoundError('No such shop');
  const shops = f.shopId
    ? [f.shopId]
    : ctx.viewer.hasStaffRole(...TICKET_STAFF)
      ? null
      : [...(await ctx.viewer.memberships()).entries()].filter(([, role]) => TICKET_SHOP_ROLES.includes(role)).map(([shop]) => shop);
  const now = ctx.now();
  return ticketPage(ctx, args, (qb) => {
    if (shops) qb.andWhere({ shop: { $in: shops } });
    if (f.status) qb.andWhere({ status: f.status });
    if (f.kind) qb.andWhere({ kind: f.kind });
    if (f.assigneeId) qb.andWhere({ assignee: f.assigneeId });
    if (f.overdue === true) qb.andWhere('e.first_responded_at is null and e.first_response_due_at <= ?', [now]);
    if (f.overdue === false) qb.andWhere('(e.first_responded_at is not null or e.first_response_due_at > ?)', [now]);
  });
}

// --- The first-response SLA ---------------------------------------------------------------------

/**
 * `ticket-sla`: flags every ticket still unanswered past its first-response due time, in one
 * statement, stamping `sla_breached_at`; a flagged ticket is never flagged again, so a second run
 * does nothing. Returns the tickets flagged (their keys), which the run reports as its count.
 */
export async function flagSlaBreaches(deps: SystemDeps, em: EntityManager): Promise<string[]> {
  const now = deps.clock.now();
  const rows = await em.execute<{ id: string }[]>(
    `update ticket set sla_breached_at = ?, updated_at = ?
     where first_responded_at is null and sla_breached_at is null and first_response_due_at <= ?
     returning id`,
    [now, now, now],
  );
  return rows.map((r) => String(r.id));
}

// --- Service figures ----------------------------------------------------------------------------

export interface ServiceMetricsResult {
  from: Date;
  to: Date;
  firstResponseTargetHours: number;
  ticketsOpened: number;
  ticketsResponded: number;
  ticketsResolved: number;
  firstResponseP50Seconds: number | null;
  firstResponseP90Seconds: number | null;
  slaBreaches: number;
  satisfactionAverage: number | null;
  satisfactionCount: number;
}

const MAX_RANGE_YEARS = 2;

const METRICS = rowShape({
  opened: 'int',
  responded: 'int',
  resolved: 'int',
  p50: 'number?',
  p90: 'number?',
  breaches: 'int',
  satisfaction: 'number?',
  rated: 'int',
});

/**
 * Staff CUSTOMER_SERVICE (and ADMIN): the service figures of the tickets opened in [from, to), in
 * one statement over `ticket_created_idx`: how many were opened, answered and resolved (so far);
 * the median and 90th percentile of the time to the first response, in seconds, of those answered;
 * the first-response breaches (flagged by `ticket-sla`, answered late, or unanswered and past due
 * now); the average satisfaction score of those rated, and how many were. A range must run forwards
 * and span at most two years (BAD_USER_INPUT naming `from` or `to`).
 */
export async function serviceMetrics(ctx: Context, range: { from: Date; to: Date }): Promise<ServiceMetricsResult> {
  requireTicketStaff(ctx);
  const { from, to } = range;
  if (from.getTime() >= to.getTime()) throw new BadInputError('`from` must be before `to`', 'from');
  const limit = new Date(from);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_RANGE_YEARS);
  if (to.getTime() > limit.getTime()) throw new BadInputError(`The range spans at most ${MAX_RANGE_YEARS} years`, 'to');
  const [row] = await selectRows(
    ctx.em,
    METRICS,
    `select count(*) as opened,
       count(*) filter (where first_responded_at is not null) as responded,
       count(*) filter (where resolved_at is not null) as resolved,
       percentile_cont(0.5) within group (order by extract(epoch from first_responded_at - created_at)::float8) filter (where first_responded_at is not null) as p50,
       percentile_cont(0.9) within group (order by extract(epoch from first_responded_at - created_at)::float8) filter (where first_responded_at is not null) as p90,
       count(*) filter (where sla_breached_at is not null or first_responded_at > first_response_due_at
                          or (first_responded_at is null and first_response_due_at <= ?)) as breaches,
       avg(satisfaction_score)::float8 as satisfaction,
       count(satisfaction_score) as rated
     from ticket where created_at >= ? and created_at < ?`,
    [ctx.now(), from, to],
  );
  return {
    from,
    to,
    firstResponseTargetHours: ctx.deps.config.service.ticketFirstResponseHours,
    ticketsOpened: row.opened,
    ticketsResponded: row.responded,
    ticketsResolved: row.resolved,
    firstResponseP50Seconds: row.p50,
    firstResponseP90Seconds: row.p90,
    slaBreaches: row.breaches,
    satisfactionAverage: row.satisfaction,
    satisfactionCount: row.rated,
  };
}
