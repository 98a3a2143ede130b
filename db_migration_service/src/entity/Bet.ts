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
import { BetEvent } from "./BetEvent";
import { BetOutcome } from "./BetOutcome";
import { User } from "./User";

// One side per member per event; amount is the sum of its confirmed stakes (0 while the first is pending).
@Entity({ name: "bets" })
@Unique("uq_bets_event_user", ["eventId", "userId"])
// Referenced by bet_stakes, so a stake always belongs to a bet of its own event.
@Unique("uq_bets_event_id_id", ["eventId", "id"])
@Check("ck_bets_amount_not_negative", "amount >= 0")
@Check("ck_bets_result", "result IN ('won', 'lost', 'refunded')")
@Check("ck_bets_payout_with_result", "(result IS NULL) = (payout IS NULL)")
@Check(
  "ck_bets_payout_fits_result",
  "result IS NULL OR (result = 'won' AND amount > 0 AND payout >= amount) OR (result = 'lost' AND payout = 0) " +
    "OR (result = 'refunded' AND payout = amount)",
)
@Index("ix_bets_event_outcome", ["eventId", "outcomeId"])
@Index("ix_bets_user_id", ["userId", "id"])
export class Bet {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_bets",
  })
  id!: string;

  @Column({ name: "event_id", type: "bigint" })
  eventId!: string;

  @ManyToOne(() => BetEvent, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "event_id", foreignKeyConstraintName: "fk_bets_event_id" })
  event!: BetEvent;

  @Column({ name: "outcome_id", type: "bigint" })
  outcomeId!: string;

  // (event_id, outcome_id) -> bet_outcomes (event_id, id): a bet backs an outcome of its own event.
  @ManyToOne(() => BetOutcome, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn([
    { name: "event_id", referencedColumnName: "eventId", foreignKeyConstraintName: "fk_bets_outcome" },
    { name: "outcome_id", referencedColumnName: "id" },
  ])
  outcome!: BetOutcome;

  @Column({ name: "user_id", type: "bigint" })
  userId!: string;

  @ManyToOne(() => User, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "user_id", foreignKeyConstraintName: "fk_bets_user_id" })
  user!: User;

  @Column({ type: "bigint", default: 0 })
  amount!: string;

  @Column({ type: "varchar", length: 16, nullable: true })
  result!: string | null;

  @Column({ type: "bigint", nullable: true })
  payout!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}
