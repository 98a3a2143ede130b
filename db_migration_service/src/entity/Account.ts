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
import { User } from "./User";

@Entity({ name: "accounts" })
@Unique("uq_accounts_guild_user", ["guildId", "userId"])
@Unique("uq_accounts_guild_system_code", ["guildId", "systemCode"])
@Check("ck_accounts_guild_id_positive", "guild_id > 0")
@Check("ck_accounts_member_xor_system", "(user_id IS NULL) <> (system_code IS NULL)")
@Check("ck_accounts_no_overdraft", "balance >= 0 OR allow_negative")
@Check("ck_accounts_member_never_negative", "user_id IS NULL OR NOT allow_negative")
@Check("ck_accounts_system_code_format", "system_code ~ '^[a-z][a-z0-9_.:-]{0,63}$'")
// (guild_id, balance DESC, id) WHERE user_id IS NOT NULL: TypeORM cannot express DESC, so the migration owns it.
@Index("ix_accounts_leaderboard", { synchronize: false })
@Index("ix_accounts_user_id", ["userId"])
export class Account {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_accounts",
  })
  id!: string;

  @Column({ name: "guild_id", type: "bigint" })
  guildId!: string;

  @Column({ name: "user_id", type: "bigint", nullable: true })
  userId!: string | null;

  @ManyToOne(() => User, { nullable: true, onDelete: "RESTRICT" })
  @JoinColumn({ name: "user_id", foreignKeyConstraintName: "fk_accounts_user_id" })
  user!: User | null;

  @Column({ name: "system_code", type: "varchar", length: 64, nullable: true })
  systemCode!: string | null;

  @Column({ type: "bigint", default: 0 })
  balance!: string;

  @Column({ name: "allow_negative", type: "boolean", default: false })
  allowNegative!: boolean;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}
