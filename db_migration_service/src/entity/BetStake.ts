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
import { Bet } from "./Bet";
import { BetEvent } from "./BetEvent";
import { LedgerTransaction } from "./LedgerTransaction";

// One row per stake a member placed (the first and every raise): its ledger key is bet:stake:<id>, so each move
// into the escrow happens once. Recorded first (pending), confirmed once the ledger has applied it.
@Entity({ name: "bet_stakes" })
@Unique("uq_bet_stakes_idempotency_key", ["idempotencyKey"])
@Unique("uq_bet_stakes_transaction_id", ["transactionId"])
@Check("ck_bet_stakes_amount_positive", "amount > 0")
@Check("ck_bet_stakes_confirmed_with_transaction", "(confirmed_at IS NULL) = (transaction_id IS NULL)")
@Index("ix_bet_stakes_event_id", ["eventId"])
@Index("ix_bet_stakes_bet_id", ["betId"])
// Pending stakes to complete.
@Index("ix_bet_stakes_pending", ["createdAt"], { where: "confirmed_at IS NULL" })
export class BetStake {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_bet_stakes",
  })
  id!: string;

  @Column({ name: "event_id", type: "bigint" })
  eventId!: string;

  @ManyToOne(() => BetEvent, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "event_id", foreignKeyConstraintName: "fk_bet_stakes_event_id" })
  event!: BetEvent;

  @Column({ name: "bet_id", type: "bigint" })
  betId!: string;

  // (event_id, bet_id) -> bets (event_id, id).
  @ManyToOne(() => Bet, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn([
    { name: "event_id", referencedColumnName: "eventId", foreignKeyConstraintName: "fk_bet_stakes_bet" },
    { name: "bet_id", referencedColumnName: "id" },
  ])
  bet!: Bet;

  @Column({ type: "bigint" })
  amount!: string;

  @Column({ name: "idempotency_key", type: "varchar", length: 200 })
  idempotencyKey!: string;

  @Column({ name: "request_hash", type: "char", length: 64 })
  requestHash!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @Column({ name: "confirmed_at", type: "timestamptz", nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: "transaction_id", type: "bigint", nullable: true })
  transactionId!: string | null;

  @ManyToOne(() => LedgerTransaction, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn({ name: "transaction_id", foreignKeyConstraintName: "fk_bet_stakes_transaction_id" })
  transaction!: LedgerTransaction | null;
}
