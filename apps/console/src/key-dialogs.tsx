import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, createKey, type NewAccessKey, type ProjectUser, type Session } from './api.ts';
import { Alert, Dialog } from './dialog.tsx';
import { credentialsFile, endOfLocalDay, formatDate, localDateValue } from './format.ts';

/** Why a create failed, in plain words; a refused token ends the session instead (onError). */
function createMessage(e: unknown): string | undefined {
  if (!(e instanceof ApiError) || e.sessionEnded) return undefined;
  if (e.status === 403 && /maximum of \d+/.test(e.message)) return `You have reached the limit of access keys. Delete a key you no longer use, then try again. (${e.message})`;
  if (e.status === 403) return 'You are not allowed to create access keys in this project.';
  return e.message;
}

export function CreateKeyDialog(props: {
  session: Session;
  users?: ProjectUser[];
  onCreated: (k: NewAccessKey) => void;
  onClose: () => void;
  onError: (e: unknown) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);

  async function submit(e: Event) {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const expires = String(form.get('expires') ?? '');
    const password = formEl.elements.namedItem('password') as HTMLInputElement;
    setBusy(true);
    setError(undefined);
    try {
      const key = await createKey(props.session, {
        userId: String(form.get('owner') ?? '') || undefined,
        expiresAt: expires ? endOfLocalDay(expires) : undefined,
        password: password.value,
      });
      password.value = '';
      props.onCreated(key);
    } catch (err) {
      password.value = '';
      const message = createMessage(err);
      if (message === undefined) return props.onError(err);
      setError(message);
      password.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog id="create-key" title="Create access key" onClose={props.onClose}>
      <form onSubmit={submit}>
        {props.users && (
          <>
            <label for="create-owner">Owner</label>
            <select id="create-owner" name="owner" defaultValue={props.session.user.id}>
              {props.users.map((u) => <option value={u.id} key={u.id}>{u.name}{u.id === props.session.user.id ? ' (you)' : ''}</option>)}
            </select>
          </>
        )}
        <label for="create-expires">Expiration date <span class="muted">(optional)</span></label>
        <input id="create-expires" name="expires" type="date" min={localDateValue(tomorrow)} aria-describedby="create-expires-help" />
        <p id="create-expires-help" class="help">The key stops working at the end of this day. Leave empty for a key that does not expire.</p>
        <label for="create-password">Confirm your password</label>
        <input id="create-password" name="password" type="password" required autocomplete="current-password" maxLength={4096} autofocus />
        <Alert id="create-error" message={error} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The one time a secret is shown. Dismissing it drops the key from state, so nothing of the
 * secret stays in the DOM or in this page's memory beyond the garbage collector.
 */
export function SecretDialog(props: { session: Session; created: NewAccessKey; onDone: () => void }) {
  const k = props.created;
  const [copied, setCopied] = useState<string>();
  const secretRef = useRef<HTMLInputElement>(null);
  useEffect(() => () => {
    if (secretRef.current) secretRef.current.value = '';
  }, []);

  async function copy(what: 'access' | 'secret') {
    const value = what === 'access' ? k.access : k.secret;
    try {
      await navigator.clipboard.writeText(value);
      setCopied(what === 'access' ? 'Access key ID copied.' : 'Secret copied.');
    } catch {
      const input = document.getElementById(`secret-${what}`) as HTMLInputElement;
      input.focus();
      input.select();
      setCopied('Copying is blocked here: the text is selected, press Ctrl+C (⌘C) to copy it.');
    }
  }

  function download() {
    const url = URL.createObjectURL(new Blob([credentialsFile(k, props.session)], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `lintel-${k.access}.credentials`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  return (
    <Dialog id="secret" title="Your new access key" onClose={props.onDone} wide>
      <p class="warning">This is the only time the secret key is shown. Copy it or download the credentials file now; it cannot be shown again.</p>
      <label for="secret-access">Access key ID</label>
      <div class="copy-row">
        <input id="secret-access" class="mono" readOnly value={k.access} spellcheck={false} />
        <button type="button" onClick={() => copy('access')} aria-label="Copy access key ID">Copy</button>
      </div>
      <label for="secret-secret">Secret access key</label>
      <div class="copy-row">
        <input id="secret-secret" class="mono" readOnly value={k.secret} ref={secretRef} spellcheck={false} autocomplete="off" />
        <button type="button" onClick={() => copy('secret')} aria-label="Copy secret access key">Copy</button>
      </div>
      <p class="help">Owner {k.user_name ?? k.user_id} · expires {formatDate(k.expires_at, 'never')}</p>
      <p class="status" role="status">{copied ?? ''}</p>
      <div class="actions">
        <button type="button" onClick={download}>Download credentials file</button>
        <button type="button" class="primary" onClick={props.onDone}>I have saved the secret</button>
      </div>
    </Dialog>
  );
}

export interface Confirmation {
  title: string;
  text: string;
  action: string;
  danger?: boolean;
  run: () => Promise<void>;
}

export function ConfirmDialog(props: { confirm: Confirmation; onClose: () => void; onError: (e: unknown) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function go() {
    setBusy(true);
    try {
      await props.confirm.run();
      props.onClose();
    } catch (e) {
      if (!(e instanceof ApiError) || e.sessionEnded) return props.onError(e);
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog id="confirm" title={props.confirm.title} onClose={props.onClose}>
      <p>{props.confirm.text}</p>
      <Alert message={error} />
      <div class="actions">
        <button type="button" onClick={props.onClose} autofocus>Cancel</button>
        <button type="button" class={props.confirm.danger ? 'danger' : 'primary'} disabled={busy} onClick={go}>{props.confirm.action}</button>
      </div>
    </Dialog>
  );
}
