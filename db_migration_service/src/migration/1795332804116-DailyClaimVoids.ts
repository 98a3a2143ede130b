import { MigrationInterface, QueryRunner } from "typeorm";

import { runStatements } from "../run-sql";

// A forgotten member's daily claim that the ledger never credited is voided (docs/architecture.md, "coin_api"):
// the member can receive coins no more, so no coin is minted, and the claim stops counting as pending. The pending
// index is keyed by id, the order the reconcile pages in, so a claim that stays pending never hides the ones after.
export class DailyClaimVoids1795332804116 implements MigrationInterface {
  name = "DailyClaimVoids1795332804116";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, UP);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, DOWN);
  }
}

const UP: readonly string[] = [
  `ALTER TABLE daily_claims ADD COLUMN voided_at timestamptz NULL`,
  `ALTER TABLE daily_claims ADD CONSTRAINT ck_daily_claims_credited_or_voided
    CHECK (credited_at IS NULL OR voided_at IS NULL)`,
  `DROP INDEX ix_daily_claims_pending_credit`,
  `CREATE INDEX ix_daily_claims_pending_credit ON daily_claims (id) WHERE credited_at IS NULL AND voided_at IS NULL`,
];

const DOWN: readonly string[] = [
  `DROP INDEX ix_daily_claims_pending_credit`,
  `CREATE INDEX ix_daily_claims_pending_credit ON daily_claims (claimed_at) WHERE credited_at IS NULL`,
  `ALTER TABLE daily_claims DROP CONSTRAINT ck_daily_claims_credited_or_voided`,
  `ALTER TABLE daily_claims DROP COLUMN voided_at`,
];
