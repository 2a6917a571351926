import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CredentialKeyRing, type Sealed } from '@lintel/credentials';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { UnavailableError } from '../errors.js';

const RELOAD_MS = 10_000;
const MIN_RELOAD_GAP_MS = 5_000;

/**
 * The credential key ring as a provider: loaded at start, re-read every 10 s so that a rotation
 * or `migrate` done by another process is picked up, and on demand when a row names a key this
 * process has not loaded yet.
 */
@Injectable()
export class CredentialCipher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CredentialCipher.name);
  private readonly ring: CredentialKeyRing;
  private timer: NodeJS.Timeout | undefined;
  private loaded = false;
  private lastReload = 0;

  constructor(@Inject(LINTEL_CONFIG) cfg: LintelConfig) {
    this.ring = new CredentialKeyRing(CredentialKeyRing.repository(cfg.credential.keysDir, cfg.credential.maxActiveKeys));
  }

  /** A missing repository is reported, not fatal: credential routes answer 503 until it exists. */
  onModuleInit(): void {
    try {
      this.ring.load();
      this.loaded = true;
    } catch (e) {
      this.logger.warn(`credential keys not loaded (${(e as Error).message}); credential operations are unavailable until they exist`);
    }
    this.timer = setInterval(() => {
      try {
        this.ring.load();
        this.loaded = true;
      } catch (e) {
        if (this.loaded) this.logger.error(`credential key reload failed: ${(e as Error).message}`);
      }
    }, RELOAD_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** True once the key repository has been read. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Re-reads the repository now (after a rotation by this or another process). */
  reload(): void {
    this.ring.load();
    this.loaded = true;
  }

  get primaryHash(): string {
    this.ensureLoaded();
    return this.ring.primaryHash;
  }

  seal(plaintext: string): Sealed {
    this.ensureLoaded();
    return this.ring.seal(plaintext);
  }

  private ensureLoaded(): void {
    if (this.loaded) return;
    try {
      this.ring.load();
      this.loaded = true;
    } catch (e) {
      throw new UnavailableError(`credential keys: ${(e as Error).message}`);
    }
  }

  /**
   * Opens a sealed blob. A key this process has not loaded yet (rotated in elsewhere) triggers one
   * re-read, at most every few seconds; a row no key opens is a server-side fault (503), logged,
   * never a 500.
   */
  open(s: Sealed): string {
    this.ensureLoaded();
    try {
      return this.ring.open(s);
    } catch (e) {
      if (Date.now() - this.lastReload > MIN_RELOAD_GAP_MS) {
        this.lastReload = Date.now();
        try {
          this.ring.load();
          return this.ring.open(s);
        } catch {
          // fall through to the report below
        }
      }
      this.logger.error(`a credential cannot be opened: ${(e as Error).message}`);
      throw new UnavailableError(`credential cannot be opened: ${(e as Error).message}`);
    }
  }
}
