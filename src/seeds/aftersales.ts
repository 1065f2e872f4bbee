import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../context';
import type { ManualClock } from '../services/shared';
import { AfterSaleType, ArbitrationRuling, OrderLine, TicketKind, type User } from '../entities';
import {
  addAfterSaleMessage,
  arbitrateAfterSale,
  confirmAfterSaleReceipt,
  assignTicket,
  confirmReturnReceived,
  createFaq,
  escalateAfterSale,
  flagSlaBreaches,
  openTicket,
  rateTicket,
  replyToTicket,
  resolveTicket,
  requestAfterSale,
  resendAfterSale,
  respondAfterSale,
  submitReturnShipment,
  withdrawAfterSale,
} from '../services/aftersales';
import { processRefunds } from '../services/payments';

/** What the demo orders seed lends the cases seed: acting as someone, and a delivered order of Alice's in blue-sea-digital. */
export interface DemoCaseKit {
  as: (user: User) => Context;
  /** A new order of Alice's in blue-sea-digital, paid, shipped and delivered; returns its key. */
  deliveredOrder: (label: string) => Promise<string>;
  deps: SystemDeps;
  em: EntityManager;
  clock: ManualClock;
  alice: User;
  bob: User;
  merchant: User;
  support: User;
}

/**
 * After-sale cases in every status on Alice's delivered blue-sea-digital orders, moved through the
 * real services: one each REQUESTED, REJECTED, AWAITING_RETURN, RETURN_SHIPPED, RECEIVED, RESENT,
 * ARBITRATION and REFUNDING, and CLOSED ones (refunded through the provider, withdrawn, replaced).
 */
export async function seedDemoCases(kit: DemoCaseKit): Promise<number> {
  const { as, alice, merchant, support } = kit;
  let opened = 0;
  const open = async (label: string, type: AfterSaleType, reason: string) => {
    const orderId = await kit.deliveredOrder(`case-${label}`);
    const [line] = await kit.em.fork().find(OrderLine, { order: orderId });
    opened += 1;
    return requestAfterSale(as(alice), { orderId, type, reason, lines: [{ orderLineId: line.id, quantity: 1 }], evidenceUrls: ['https://img.demo.test/evidence/1.jpg'] });
  };
  const approve = (id: string) => respondAfterSale(as(merchant), { caseId: id, decision: 'APPROVE', returnAddress: '杭州市西湖區文三路 1 號 藍海數碼倉' });
  const shipBack = (id: string) => submitReturnShipment(as(alice), { caseId: id, carrier: 'SF Express 順豐', trackingNumber: `SF2000${id.padStart(6, '0')}` });

  // CLOSED, REFUNDED: a refund-only case approved and refunded through the provider.
  const refunded = await open('refunded', AfterSaleType.REFUND_ONLY, 'Screen scratched on arrival');
  await approve(refunded.id);
  await processRefunds(kit.deps, kit.em.fork());

  const requested = await open('requested', AfterSaleType.RETURN_AND_REFUND, 'Does not fit');
  await addAfterSaleMessage(as(alice), { caseId: requested.id, body: '尺寸不合，請問可以退貨嗎？' });

  const rejected = await open('rejected', AfterSaleType.REFUND_ONLY, 'Stopped working');
  await respondAfterSale(as(merchant), { caseId: rejected.id, decision: 'REJECT', reason: 'The photos show water damage, which the warranty excludes' });

  await approve((await open('awaiting-return', AfterSaleType.RETURN_AND_REFUND, 'Wrong colour sent')).id);

  const returnShipped = await open('return-shipped', AfterSaleType.RETURN_AND_REFUND, 'Changed my mind');
  await approve(returnShipped.id);
  await shipBack(returnShipped.id);

  const received = await open('received', AfterSaleType.EXCHANGE, 'Left earbud silent');
  await approve(received.id);
  await shipBack(received.id);
  await confirmReturnReceived(as(merchant), { caseId: received.id, restock: false, note: 'Confirmed faulty; replacement to follow' });

  const resent = await open('resent', AfterSaleType.REPAIR, 'Hinge loose');
  await approve(resent.id);
  await shipBack(resent.id);
  await confirmReturnReceived(as(merchant), { caseId: resent.id, restock: false, note: 'Hinge replaced' });
  await resendAfterSale(as(merchant), { caseId: resent.id, carrier: 'SF Express 順豐', trackingNumber: `SF3000${resent.id.padStart(6, '0')}` });

  const replaced = await open('replaced', AfterSaleType.EXCHANGE, 'Dead pixel');
  await approve(replaced.id);
  await shipBack(replaced.id);
  await confirmReturnReceived(as(merchant), { caseId: replaced.id, restock: false });
  await resendAfterSale(as(merchant), { caseId: replaced.id, carrier: 'SF Express 順豐', trackingNumber: `SF3000${replaced.id.padStart(6, '0')}` });
  await confirmAfterSaleReceipt(as(alice), replaced.id);

  await withdrawAfterSale(as(alice), (await open('withdrawn', AfterSaleType.REFUND_ONLY, 'Arrived late')).id);

  // ARBITRATION: rejected, then escalated by the buyer; waiting in the staff queue.
  const arbitration = await open('arbitration', AfterSaleType.REFUND_ONLY, 'Battery swollen');
  await respondAfterSale(as(merchant), { caseId: arbitration.id, decision: 'REJECT', reason: 'Battery damage comes from misuse' });
  await escalateAfterSale(as(alice), { caseId: arbitration.id, reason: 'It swelled within a week of normal use' });

  // REFUNDING: ruled for the buyer by customer service; the refund waits for send-refunds.
  const ruled = await open('ruled', AfterSaleType.REFUND_ONLY, 'Missing charger');
  await respondAfterSale(as(merchant), { caseId: ruled.id, decision: 'REJECT', reason: 'Shipped complete' });
  await escalateAfterSale(as(alice), { caseId: ruled.id, reason: 'The box had no charger' });
  await addAfterSaleMessage(as(support), { caseId: ruled.id, body: 'The packing photo shows no charger in the box.' });
  await arbitrateAfterSale(as(support), { caseId: ruled.id, ruling: ArbitrationRuling.FOR_BUYER, refundAmount: null, note: 'Packing photo shows the charger missing' });
  return opened;
}

const FAQS: { category: string; question: string; answer: string }[] = [
  { category: 'Returns 退換貨', question: '如何申請退貨退款？ How do I return an item for a refund?', answer: 'Open the order, choose After-sales and RETURN_AND_REFUND, pick the items and add photos. Once the shop approves, ship the parcel back within 7 days and enter the tracking number.' },
  { category: 'Returns 退換貨', question: '退款多久到賬？ When does my refund arrive?', answer: 'The refund is sent as soon as the shop confirms the return arrived (or 10 days after you shipped it). It goes back the way you paid.' },
  { category: 'Returns 退換貨', question: '商家拒絕了我的售後申請怎麼辦？ The shop rejected my request', answer: 'Within 7 days of the rejection you may escalate the case: platform customer service reviews the evidence and rules, and the ruling binds both sides.' },
  { category: 'Orders 訂單', question: '可以修改收貨地址嗎？ Can I change the delivery address?', answer: 'Before the shop ships, cancel the order and place it again with the new address; after shipping, contact the carrier.' },
  { category: 'Service 客服', question: '客服多久回覆？ How soon does customer service answer?', answer: 'Every ticket gets a first answer within 24 hours.' },
];

/**
 * Customer service: the FAQ, and tickets of Alice and Bob — a question answered, resolved and rated,
 * a complaint about blue-sea-digital answered by its owner, and one left unanswered past the
 * 24-hour target (flagged by `ticket-sla`).
 */
export async function seedDemoTickets(kit: DemoCaseKit, orderId: string): Promise<number> {
  const { as, alice, bob, merchant, support, clock } = kit;
  for (const [position, faq] of FAQS.entries()) await createFaq(as(support), { ...faq, position });

  const startedAt = clock.now();
  clock.set(new Date(startedAt.getTime() - 2 * 86_400_000));
  const unanswered = await openTicket(as(bob), { kind: TicketKind.QUESTION, subject: 'Invoice for a company purchase', body: '請問可以開公司發票嗎？' });
  clock.set(startedAt);
  await flagSlaBreaches(kit.deps, kit.em.fork());

  // Answered after 2 and 5 hours: serviceMetrics has response times to show.
  clock.set(new Date(startedAt.getTime() - 6 * 3_600_000));
  const question = await openTicket(as(alice), { kind: TicketKind.QUESTION, subject: 'How do refunds work?', body: '退款會退到哪裡？' });
  await assignTicket(as(support), { ticketId: question.id, assigneeId: support.id });
  clock.advance(2 * 3_600_000);
  await replyToTicket(as(support), { ticketId: question.id, body: 'Refunds go back to the way you paid, usually within a day of the shop confirming.' });
  await resolveTicket(as(support), { ticketId: question.id, resolution: 'Explained the refund path.' });
  await rateTicket(as(alice), { ticketId: question.id, score: 5, comment: '很快，謝謝！' });

  clock.set(new Date(startedAt.getTime() - 6 * 3_600_000));
  const complaint = await openTicket(as(alice), { kind: TicketKind.COMPLAINT_ABOUT_SHOP, subject: 'Parcel arrived damaged', body: '外箱破損，耳機盒凹陷。', orderId });
  await assignTicket(as(support), { ticketId: complaint.id, assigneeId: support.id });
  clock.advance(5 * 3_600_000);
  await replyToTicket(as(merchant), { ticketId: complaint.id, body: '非常抱歉！We have opened a replacement for you.', waitingOnCustomer: true });
  await replyToTicket(as(alice), { ticketId: complaint.id, body: 'Thank you, waiting for the replacement.' });
  clock.set(startedAt);
  return [unanswered, question, complaint].length;
}
