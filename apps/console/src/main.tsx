import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, scopeTo, signOut, type Project, type Session } from './api.ts';
import { KeysPage } from './keys-page.tsx';
import { ProjectPicker, SignIn } from './sign-in.tsx';
import './styles.css';

const EXPIRED = 'Your session has expired or was ended. Please sign in again.';
/** setTimeout's limit (~24 days); a token living longer is still refused by the server in time. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sign in (unscoped token) → choose a project (project-scoped token) → manage keys. Both tokens
 * are held here only; when either expires, or the server refuses one, the console forgets both
 * and returns to sign-in with a message.
 */
function App() {
  const [unscoped, setUnscoped] = useState<Session>();
  const [scoped, setScoped] = useState<Session>();
  const [notice, setNotice] = useState<string>();

  function end(message?: string) {
    setScoped(undefined);
    setUnscoped(undefined);
    setNotice(message);
  }

  /** Any failure nobody handled: a refused token ends the session; anything else is reported. */
  function onError(e: unknown) {
    if (e instanceof ApiError && e.sessionEnded) return end(EXPIRED);
    setNotice(e instanceof ApiError ? e.message : 'Something went wrong. Please try again.');
  }

  const soonest = [unscoped, scoped].filter((s): s is Session => !!s).map((s) => s.expiresAt.getTime()).sort()[0];
  useEffect(() => {
    const delay = soonest === undefined ? undefined : Math.max(soonest - Date.now(), 0);
    if (delay === undefined || delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => end(EXPIRED), delay);
    return () => clearTimeout(timer);
  }, [soonest]);

  async function pick(p: Project) {
    try {
      setScoped(await scopeTo(unscoped!, p.id));
      setNotice(undefined);
    } catch (e) {
      if (e instanceof ApiError && e.sessionEnded) return end(EXPIRED);
      throw e;
    }
  }

  async function leave() {
    await signOut(scoped, unscoped);
    end('You have signed out.');
  }

  if (!unscoped) return <SignIn notice={notice} onSignedIn={(s) => { setNotice(undefined); setUnscoped(s); }} />;
  if (!scoped) return <ProjectPicker session={unscoped} onPicked={pick} onSignOut={leave} onError={onError} />;
  return (
    <>
      {notice && <p class="notice banner" role="alert">{notice}</p>}
      <KeysPage
        key={scoped.token}
        session={scoped}
        onChangeProject={() => { void signOut(scoped); setScoped(undefined); }}
        onSignOut={leave}
        onError={onError}
      />
    </>
  );
}

render(<App />, document.getElementById('app')!);
