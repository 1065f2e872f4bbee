import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import * as analytics from '../../services/analytics';
import { SnapshotMetricsInput, SnapshotMetricsPayload, TrackEventsInput, TrackEventsPayload } from '../../schema/analytics/events';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { parseNodeId } from '../../schema/shared/globalId';
import { payload } from '../shared/payload';

/**
 * The batch with product IDs decoded into keys. An ID that names no product becomes an empty key,
 * which the service refuses like an unknown product (INVALID_INPUT on the event's `productId`) —
 * after it has counted the call against the rate limit, as every refused batch is.
 */
function decodeEvents(input: TrackEventsInput): analytics.TrackEventsInput {
  const events = input.events.map((event) => {
    if (event.productId == null) return { ...event, productId: null };
    const parsed = parseNodeId(event.productId);
    return { ...event, productId: parsed?.type === 'Product' ? parsed.key : '' };
  });
  return { sessionId: input.sessionId, events };
}

@Resolver()
export class TrackingResolver {
  @Mutation(() => TrackEventsPayload, {
    description:
      'Report what a shopper did (views, searches, add-to-carts, shares) for the KPIs, anonymous or signed in: a batch of at most 50 events, stored all or nothing. Rate limited per client address (RATE_LIMITED).',
  })
  async trackEvents(@Arg('input', { description: INPUT_DESCRIPTION }) input: TrackEventsInput, @Ctx() ctx: Context): Promise<TrackEventsPayload> {
    // A refused batch's payload has errors only: it stored nothing.
    const out: Partial<TrackEventsPayload> = await payload(() => analytics.trackEvents(ctx, decodeEvents(input)), (r) => ({ accepted: r.accepted }));
    return { accepted: out.accepted ?? 0, errors: out.errors ?? [] };
  }

  @Mutation(() => SnapshotMetricsPayload, {
    description: 'Recompute the daily KPI snapshots of a range of days now, e.g. after a backfill (staff ANALYST). Idempotent; at most two years, not after today (Asia/Shanghai). Audited.',
  })
  async snapshotMetrics(
    @Arg('input', { description: INPUT_DESCRIPTION }) input: SnapshotMetricsInput,
    @Ctx() ctx: Context,
  ): Promise<SnapshotMetricsPayload> {
    const out: Partial<SnapshotMetricsPayload> = await payload(() => analytics.backfillMetrics(ctx, input.from, input.to), (r) => ({ days: r.days }));
    return { days: out.days ?? null, errors: out.errors ?? [] };
  }
}
