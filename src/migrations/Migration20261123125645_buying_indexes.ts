import { Migration } from '@mikro-orm/migrations';

export class Migration20261123125645_buying_indexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "stock_alert_variant_idx" on "stock_alert" ("variant_id");`);

    this.addSql(`create index "stocktake_actor_idx" on "stocktake" ("actor_id");`);

    this.addSql(`create index "stock_movement_actor_idx" on "stock_movement" ("actor_id");`);

    this.addSql(`create index "orders_status_idx" on "orders" ("status", "placed_at", "id");`);

    this.addSql(`create index "refund_pending_idx" on "refund" ("id") where "status" = 'PENDING' and "provider_reference" is null;`);

    this.addSql(`create index "order_event_actor_idx" on "order_event" ("actor_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "order_event_actor_idx";`);

    this.addSql(`drop index "orders_status_idx";`);

    this.addSql(`drop index "refund_pending_idx";`);

    this.addSql(`drop index "stock_alert_variant_idx";`);

    this.addSql(`drop index "stock_movement_actor_idx";`);

    this.addSql(`drop index "stocktake_actor_idx";`);
  }

}
