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
} from "typeorm";
import { Account } from "./Account";
import { LedgerTransaction } from "./LedgerTransaction";

// A two-phase hold: the coins left the member's account for the guild's `holds` account in hold_transaction; the
// final transaction moves them on to system_code (captured) or back (released, expired), once.
@Entity({ name: "holds" })
@Unique("uq_holds_idempotency_key", ["idempotencyKey"])
@Unique("uq_holds_hold_transaction_id", ["holdTransactionId"])
@Unique("uq_holds_final_transaction_id", ["finalTransactionId"])
@Check("ck_holds_guild_id_positive", "guild_id > 0")
@Check("ck_holds_amount_positive", "amount > 0")
@Check("ck_holds_kind_format", "kind ~ '^[a-z][a-z0-9_]{0,31}$'")
@Check("ck_holds_system_code_format", "system_code ~ '^[a-z][a-z0-9_.:-]{0,63}$'")
@Check("ck_holds_status", "status IN ('held', 'captured', 'released', 'expired')")
@Check("ck_holds_resolved_at_once_resolved", "(resolved_at IS NULL) = (status = 'held')")
@Check("ck_holds_final_transaction_once_resolved", "(final_transaction_id IS NULL) = (status = 'held')")
@Check("ck_holds_expires_after_creation", "expires_at > created_at")
// Expired holds for the sweeper, and a member's active holds for the balance.
@Index("ix_holds_expiring", ["expiresAt", "id"], { where: "status = 'held'" })
@Index("ix_holds_active_by_account", ["userAccountId"], { where: "status = 'held'" })
export class Hold {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_holds",
  })
  id!: string;

  @Column({ name: "guild_id", type: "bigint" })
  guildId!: string;

  @Column({ name: "user_account_id", type: "bigint" })
  userAccountId!: string;

  @ManyToOne(() => Account, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "user_account_id", foreignKeyConstraintName: "fk_holds_user_account_id" })
  userAccount!: Account;

  @Column({ name: "system_code", type: "varchar", length: 64 })
  systemCode!: string;

  @Column({ type: "bigint" })
  amount!: string;

  @Column({ type: "varchar", length: 32 })
  kind!: string;

  @Column({ type: "varchar", length: 200, nullable: true })
  reason!: string | null;

  @Column({ type: "varchar", length: 16, default: "held" })
  status!: string;

  @Column({ name: "idempotency_key", type: "varchar", length: 200 })
  idempotencyKey!: string;

  @Column({ name: "request_hash", type: "char", length: 64 })
  requestHash!: string;

  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt!: Date;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @Column({ name: "resolved_at", type: "timestamptz", nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: "hold_transaction_id", type: "bigint" })
  holdTransactionId!: string;

  @ManyToOne(() => LedgerTransaction, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "hold_transaction_id", foreignKeyConstraintName: "fk_holds_hold_transaction_id" })
  holdTransaction!: LedgerTransaction;

  @Column({ name: "final_transaction_id", type: "bigint", nullable: true })
  finalTransactionId!: string | null;

  @ManyToOne(() => LedgerTransaction, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn({ name: "final_transaction_id", foreignKeyConstraintName: "fk_holds_final_transaction_id" })
  finalTransaction!: LedgerTransaction | null;
}
