import { Entity, Index, PrimaryColumn } from 'typeorm';

export type AssignmentType = 'UserProject' | 'UserDomain' | 'UserSystem' | 'GroupProject' | 'GroupDomain' | 'GroupSystem';

/** A role granted to an actor (user or group) on a target (project, domain, or the system). */
@Entity('role_assignments')
@Index('ix_role_assignments_actor', ['actorId'])
@Index('ix_role_assignments_target', ['targetId'])
@Index('ix_role_assignments_role', ['roleId', 'type', 'actorId', 'targetId', 'inherited'])
export class RoleAssignmentEntity {
  @PrimaryColumn({ name: 'type', type: 'varchar', length: 16 }) type!: AssignmentType;
  @PrimaryColumn({ name: 'actor_id', type: 'varchar', length: 64 }) actorId!: string;
  @PrimaryColumn({ name: 'target_id', type: 'varchar', length: 64 }) targetId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 64 }) roleId!: string;
  @PrimaryColumn({ name: 'inherited', type: 'boolean', default: false }) inherited!: boolean;
}
