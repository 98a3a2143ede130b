import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from "typeorm";
import { LedgerTransaction } from "./LedgerTransaction";
import { User } from "./User";

@Entity({ name: "daily_claims" })
@Unique("uq_daily_claims_idempotency_key", ["idempotencyKey"])
// Exactly one claim n+1 wins a race.
@Unique("uq_daily_claims_guild_user_claim_number", ["guildId", "userId", "claimNumber"])
@Check("ck_daily_claims_guild_id_positive", "guild_id > 0")
@Check("ck_daily_claims_claim_number_positive", "claim_number > 0")
@Check("ck_daily_claims_streak_positive", "streak > 0")
@Check("ck_daily_claims_amount_positive", "amount > 0")
@Check("ck_daily_claims_credited_with_transaction", "(credited_at IS NULL) = (transaction_id IS NULL)")
// A forgotten member's claim the ledger never credited is voided instead: never both.
@Check("ck_daily_claims_credited_or_voided", "credited_at IS NULL OR voided_at IS NULL")
// Pending credits to reconcile, paged by id.
@Index("ix_daily_claims_pending_credit", ["id"], { where: "credited_at IS NULL AND voided_at IS NULL" })
export class DailyClaim {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_daily_claims",
  })
  id!: string;

  @Column({ name: "guild_id", type: "bigint" })
  guildId!: string;

  @Column({ name: "user_id", type: "bigint" })
  userId!: string;

  @ManyToOne(() => User, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "user_id", foreignKeyConstraintName: "fk_daily_claims_user_id" })
  user!: User;

  @Column({ name: "claim_number", type: "integer" })
  claimNumber!: number;

  @Column({ type: "integer" })
  streak!: number;

  @Column({ type: "bigint" })
  amount!: string;

  @Column({ name: "idempotency_key", type: "varchar", length: 200 })
  idempotencyKey!: string;

  @Column({ name: "claimed_at", type: "timestamptz", default: () => "now()" })
  claimedAt!: Date;

  @Column({ name: "credited_at", type: "timestamptz", nullable: true })
  creditedAt!: Date | null;

  @Column({ name: "voided_at", type: "timestamptz", nullable: true })
  voidedAt!: Date | null;

  @Column({ name: "transaction_id", type: "bigint", nullable: true })
  transactionId!: string | null;

  @ManyToOne(() => LedgerTransaction, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn({ name: "transaction_id", foreignKeyConstraintName: "fk_daily_claims_transaction_id" })
  transaction!: LedgerTransaction | null;
}
