import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  OneToMany,
  PrimaryGeneratedColumn,
  Unique,
} from "typeorm";
import { Posting } from "./Posting";

// Append-only: triggers in the migration reject UPDATE and DELETE.
@Entity({ name: "ledger_transactions" })
@Unique("uq_ledger_transactions_idempotency_key", ["idempotencyKey"])
@Check("ck_ledger_transactions_guild_id_positive", "guild_id > 0")
@Check("ck_ledger_transactions_kind_format", "kind ~ '^[a-z][a-z0-9_]{0,31}$'")
@Index("ix_ledger_transactions_guild_created", ["guildId", "createdAt"])
export class LedgerTransaction {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_ledger_transactions",
  })
  id!: string;

  @Column({ name: "guild_id", type: "bigint" })
  guildId!: string;

  @Column({ name: "idempotency_key", type: "varchar", length: 200 })
  idempotencyKey!: string;

  @Column({ name: "request_hash", type: "char", length: 64 })
  requestHash!: string;

  @Column({ type: "varchar", length: 32 })
  kind!: string;

  @Column({ type: "varchar", length: 200, nullable: true })
  reason!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @OneToMany(() => Posting, (posting) => posting.transaction)
  postings!: Posting[];
}
