import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { IdColumn, InstantColumn, JsonColumn, TextColumn } from './columns.js';

/**
 * Keystone's OS-OAUTH1 extension (docs/keystone-oauth1.md). The consumer secret and the token
 * secrets key the HMAC of every signed request, so they cannot be one-way hashed: they are stored
 * only sealed with the credential key ring, as credential blobs are (`keyHash` names the key).
 */

/** An OAuth consumer: a client application that may ask users for delegated access. */
@Entity('oauth1_consumers')
export class OAuth1ConsumerEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @TextColumn('description') description!: string | null;
  @Column({ name: 'encrypted_secret', type: 'text' }) encryptedSecret!: string;
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash!: string;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
}

/**
 * A request token: asked for by a consumer for a project, then authorized by a user with some of
 * their roles there (which sets the verifier, kept only as its sha256), then exchanged, once, for
 * an access token.
 */
@Entity('oauth1_request_tokens')
@Index('ix_oauth1_request_tokens_consumer', ['consumerId'])
export class OAuth1RequestTokenEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('consumer_id') consumerId!: string;
  @Column({ name: 'encrypted_secret', type: 'text' }) encryptedSecret!: string;
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash!: string;
  @IdColumn('requested_project_id') requestedProjectId!: string;
  @IdColumn('verifier_hash', { nullable: true }) verifierHash!: string | null;
  @IdColumn('authorizing_user_id', { nullable: true }) authorizingUserId!: string | null;
  @JsonColumn('role_ids') roleIds!: string[] | null;
  @InstantColumn('expires_at') expiresAt!: Date | null;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
}

/** An access token: a user's delegation of some of their roles on one project to a consumer. */
@Entity('oauth1_access_tokens')
@Index('ix_oauth1_access_tokens_user', ['authorizingUserId'])
@Index('ix_oauth1_access_tokens_consumer', ['consumerId'])
export class OAuth1AccessTokenEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('consumer_id') consumerId!: string;
  @Column({ name: 'encrypted_secret', type: 'text' }) encryptedSecret!: string;
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash!: string;
  @IdColumn('authorizing_user_id') authorizingUserId!: string;
  @IdColumn('project_id') projectId!: string;
  @JsonColumn('role_ids') roleIds!: string[] | null;
  @InstantColumn('expires_at') expiresAt!: Date | null;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
}

/**
 * A nonce a signed OAuth request has used: sha256 of the consumer key and the nonce. The primary
 * key makes a replay fail on insert in every replica; a row is worthless once the request's
 * timestamp has left the freshness window (`expiresAt`).
 */
@Entity('oauth1_nonces')
@Index('ix_oauth1_nonces_expires', ['expiresAt'])
export class OAuth1NonceEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @InstantColumn('expires_at', { nullable: false }) expiresAt!: Date;
}
