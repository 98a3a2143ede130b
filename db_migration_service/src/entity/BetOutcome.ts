import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from "typeorm";
import { BetEvent } from "./BetEvent";

// 2 to 25 per event (the API checks the count; 25 is what a Discord select menu shows).
@Entity({ name: "bet_outcomes" })
@Unique("uq_bet_outcomes_event_position", ["eventId", "position"])
// Referenced by bets and by the event's winner, so both point at an outcome of the same event.
@Unique("uq_bet_outcomes_event_id_id", ["eventId", "id"])
@Check("ck_bet_outcomes_position_range", "position BETWEEN 1 AND 25")
@Check("ck_bet_outcomes_label_not_blank", "btrim(label) <> ''")
// (event_id, lower(label)) UNIQUE: TypeORM cannot express an expression index, so the migration owns it.
@Index("uq_bet_outcomes_event_label", { synchronize: false })
export class BetOutcome {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_bet_outcomes",
  })
  id!: string;

  @Column({ name: "event_id", type: "bigint" })
  eventId!: string;

  @ManyToOne(() => BetEvent, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "event_id", foreignKeyConstraintName: "fk_bet_outcomes_event_id" })
  event!: BetEvent;

  @Column({ type: "smallint" })
  position!: number;

  @Column({ type: "varchar", length: 100 })
  label!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
