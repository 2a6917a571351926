import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A directory of numbered key files laid out like Keystone's Fernet, JWS and credential key
 * repositories: `0` is the staged key (trusted, never used to produce), the highest number is
 * the primary (signs or encrypts), the numbers between are retired (still verify or decrypt
 * until pruned). Rotation renames the staged key to the next number, so every process that
 * loaded the repository before a rotation already trusts the new primary.
 *
 * The file format belongs to the caller: `generate` returns the text of a new key file.
 */
export class NumberedKeyRepository {
  constructor(
    readonly dir: string,
    private readonly maxActiveKeys: number,
    private readonly generate: () => Promise<string> | string,
  ) {}

  /** True when a staged and a primary key exist. */
  exists(): boolean {
    const idx = this.indexes();
    return idx.includes(0) && idx.length >= 2;
  }

  /** Creates the repository with a staged and a primary key; leaves an existing one alone. */
  async setup(): Promise<boolean> {
    if (this.exists()) return false;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (!this.indexes().includes(0)) await this.writeNewKey(0);
    if (this.indexes().length < 2) await this.writeNewKey(1);
    return true;
  }

  /** Staged becomes primary, a new staged key is made, the oldest retired keys are pruned. */
  async rotate(): Promise<{ primary: number; removed: number[] }> {
    await this.setup();
    const next = Math.max(...this.indexes()) + 1;
    renameSync(this.file(0), this.file(next));
    await this.writeNewKey(0);
    const removed: number[] = [];
    const active = this.indexes().filter((i) => i !== 0);
    while (active.length + 1 > this.maxActiveKeys) {
      const old = active.shift()!;
      rmSync(this.file(old));
      removed.push(old);
    }
    return { primary: next, removed };
  }

  /** Every key file, lowest number first; throws when the repository has no primary. */
  read(): Array<{ index: number; text: string }> {
    const idx = this.indexes();
    if (!idx.some((i) => i > 0)) throw new Error(`no keys in ${this.dir}: run the manage CLI's setup for it`);
    return idx.map((index) => ({ index, text: readFileSync(this.file(index), 'utf8') }));
  }

  private indexes(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
  }

  private file(index: number): string {
    return join(this.dir, String(index));
  }

  /** Written to a temporary name, then renamed: a reader never sees half a key. */
  private async writeNewKey(index: number): Promise<void> {
    const tmp = join(this.dir, `.tmp-${index}-${process.pid}`);
    writeFileSync(tmp, await this.generate(), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file(index));
  }
}
