import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from "typeorm";
import { BetOutcome } from "./BetOutcome";
import { LedgerTransaction } from "./LedgerTransaction";
import { User } from "./User";

// open -> locked -> settling -> settled, or -> cancelling -> cancelled. settling/cancelling are the pending states
// a crash mid-settlement is resumed from: the winner and the settlement's ledger key are stored before coins move.
@Entity({ name: "bet_events" })
@Unique("uq_bet_events_idempotency_key", ["idempotencyKey"])
@Unique("uq_bet_events_settlement_key", ["settlementKey"])
@Check("ck_bet_events_guild_id_positive", "guild_id > 0")
@Check("ck_bet_events_title_not_blank", "btrim(title) <> ''")
@Check(
  "ck_bet_events_status",
  "status IN ('open', 'locked', 'settling', 'settled', 'cancelling', 'cancelled')",
)
@Check("ck_bet_events_closes_after_creation", "closes_at IS NULL OR closes_at > created_at")
@Check(
  "ck_bet_events_winner_only_when_settled",
  "(winning_outcome_id IS NOT NULL) = (status IN ('settling', 'settled'))",
)
@Check(
  "ck_bet_events_settlement_key_once_closing",
  "(settlement_key IS NOT NULL) = (status IN ('settling', 'settled', 'cancelling', 'cancelled'))",
)
@Check(
  "ck_bet_events_transaction_only_when_resolved",
  "settlement_transaction_id IS NULL OR status IN ('settled', 'cancelled')",
)
@Check("ck_bet_events_locked_at_unless_open", "(locked_at IS NULL) = (status = 'open')")
@Check(
  "ck_bet_events_resolved_at_when_resolved",
  "(resolved_at IS NOT NULL) = (status IN ('settled', 'cancelled'))",
)
@Index("ix_bet_events_guild_id", ["guildId", "id"])
@Index("ix_bet_events_guild_status", ["guildId", "status", "id"])
@Index("ix_bet_events_creator_id", ["creatorId"])
// Open events with a deadline, locked lazily once it passes.
@Index("ix_bet_events_closing", ["closesAt"], { where: "status = 'open' AND closes_at IS NOT NULL" })
// Settlements and cancellations to resume after a crash or a ledger outage.
@Index("ix_bet_events_unfinished", ["id"], { where: "status IN ('settling', 'cancelling')" })
export class BetEvent {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_bet_events",
  })
  id!: string;

  @Column({ name: "guild_id", type: "bigint" })
  guildId!: string;

  @Column({ name: "creator_id", type: "bigint" })
  creatorId!: string;

  @ManyToOne(() => User, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "creator_id", foreignKeyConstraintName: "fk_bet_events_creator_id" })
  creator!: User;

  @Column({ type: "varchar", length: 200 })
  title!: string;

  @Column({ type: "varchar", length: 1000, nullable: true })
  description!: string | null;

  @Column({ type: "varchar", length: 16, default: "open" })
  status!: string;

  @Column({ name: "closes_at", type: "timestamptz", nullable: true })
  closesAt!: Date | null;

  @Column({ name: "winning_outcome_id", type: "bigint", nullable: true })
  winningOutcomeId!: string | null;

  // (id, winning_outcome_id) -> bet_outcomes (event_id, id): the winner is one of the event's own outcomes.
  @ManyToOne(() => BetOutcome, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn([
    { name: "id", referencedColumnName: "eventId", foreignKeyConstraintName: "fk_bet_events_winning_outcome" },
    { name: "winning_outcome_id", referencedColumnName: "id" },
  ])
  winningOutcome!: BetOutcome | null;

  @Column({ name: "idempotency_key", type: "varchar", length: 200 })
  idempotencyKey!: string;

  @Column({ name: "request_hash", type: "char", length: 64 })
  requestHash!: string;

  @Column({ name: "settlement_key", type: "varchar", length: 200, nullable: true })
  settlementKey!: string | null;

  @Column({ name: "settlement_transaction_id", type: "bigint", nullable: true })
  settlementTransactionId!: string | null;

  @ManyToOne(() => LedgerTransaction, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn({
    name: "settlement_transaction_id",
    foreignKeyConstraintName: "fk_bet_events_settlement_transaction_id",
  })
  settlementTransaction!: LedgerTransaction | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;

  @Column({ name: "locked_at", type: "timestamptz", nullable: true })
  lockedAt!: Date | null;

  @Column({ name: "resolved_at", type: "timestamptz", nullable: true })
  resolvedAt!: Date | null;
}
