import { Migration } from '@mikro-orm/migrations';

export class Migration20261123121332_low_stock_index extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "product_variant_low_stock_idx" on "product_variant" ("shop_id", "id") where not "archived" and "on_hand" - "reserved" <= "low_stock_threshold";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "product_variant_low_stock_idx";`);
  }

}
