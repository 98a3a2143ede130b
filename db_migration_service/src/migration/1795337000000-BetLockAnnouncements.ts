import { MigrationInterface, QueryRunner } from "typeorm";

import { runStatements } from "../run-sql";

// A bet that locks by itself at closes_at is announced in the channel it was created in (docs/architecture.md,
// "bet_api"): the event remembers that channel, and when the announcement was claimed, so it is made once. The
// partial index holds only locked events still to announce, the rows the bot's poll reads.
export class BetLockAnnouncements1795337000000 implements MigrationInterface {
  name = "BetLockAnnouncements1795337000000";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, UP);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, DOWN);
  }
}

const UP: readonly string[] = [
  `ALTER TABLE bet_events ADD COLUMN channel_id bigint NULL, ADD COLUMN lock_announced_at timestamptz NULL`,
  `ALTER TABLE bet_events ADD CONSTRAINT ck_bet_events_channel_id_positive CHECK (channel_id > 0)`,
  `ALTER TABLE bet_events ADD CONSTRAINT ck_bet_events_announced_once_locked
    CHECK (lock_announced_at IS NULL OR locked_at IS NOT NULL)`,
  `CREATE INDEX ix_bet_events_lock_unannounced ON bet_events (id)
    WHERE status = 'locked' AND channel_id IS NOT NULL AND lock_announced_at IS NULL`,
];

const DOWN: readonly string[] = [
  `DROP INDEX ix_bet_events_lock_unannounced`,
  `ALTER TABLE bet_events DROP CONSTRAINT ck_bet_events_announced_once_locked`,
  `ALTER TABLE bet_events DROP CONSTRAINT ck_bet_events_channel_id_positive`,
  `ALTER TABLE bet_events DROP COLUMN lock_announced_at, DROP COLUMN channel_id`,
];
