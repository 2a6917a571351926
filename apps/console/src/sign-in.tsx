import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, listProjects, signIn, type Project, type Session } from './api.ts';
import { Alert } from './dialog.tsx';

/** Why a sign-in failed, in words a user can act on. */
function signInMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (e.status === 401) return 'The user name, domain or password is not correct, or the account is disabled or locked.';
  return e.message;
}

export function SignIn(props: { notice?: string; onSignedIn: (s: Session) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(String(form.get('name')), String(form.get('domain')), String(form.get('password'))));
    } catch (err) {
      setError(signInMessage(err));
      const password = (e.target as HTMLFormElement).elements.namedItem('password') as HTMLInputElement;
      password.value = '';
      password.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Lintel</h1>
      <p class="muted">Manage the access keys you use to sign requests to Lintel-backed clouds.</p>
      {props.notice && <p class="notice" role="status">{props.notice}</p>}
      <form onSubmit={submit} aria-describedby="signin-error">
        <label for="signin-name">User name</label>
        <input id="signin-name" name="name" ref={first} required autocomplete="username" maxLength={255} />
        <label for="signin-domain">Domain</label>
        <input id="signin-domain" name="domain" required defaultValue="Default" autocomplete="off" maxLength={255} />
        <label for="signin-password">Password</label>
        <input id="signin-password" name="password" type="password" required autocomplete="current-password" maxLength={4096} />
        <Alert id="signin-error" message={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}

export function ProjectPicker(props: { session: Session; onPicked: (p: Project) => Promise<void>; onSignOut: () => void; onError: (e: unknown) => void }) {
  const [projects, setProjects] = useState<Project[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listProjects(props.session).then(setProjects, props.onError);
  }, [props.session]);

  async function submit(e: Event) {
    e.preventDefault();
    const id = String(new FormData(e.currentTarget as HTMLFormElement).get('project') ?? '');
    const project = projects?.find((p) => p.id === id);
    if (!project) return setError('Choose a project.');
    setBusy(true);
    try {
      await props.onPicked(project);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Something went wrong. Please try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="card narrow" aria-labelledby="project-title">
      <h1 id="project-title">Choose a project</h1>
      <p class="muted">Signed in as <strong>{props.session.user.name}</strong> ({props.session.user.domain.name}). Access keys belong to a project.</p>
      {!projects && <p role="status">Loading your projects…</p>}
      {projects && !projects.length && <p class="notice" role="status">You have no role on any project. Ask an administrator to add you to one.</p>}
      {projects && projects.length > 0 && (
        <form onSubmit={submit}>
          <label for="project-select">Project</label>
          <select id="project-select" name="project" required>
            {projects.map((p) => <option value={p.id} key={p.id}>{p.name}</option>)}
          </select>
          <Alert message={error} />
          <button type="submit" class="primary" disabled={busy}>Open</button>
        </form>
      )}
      <button type="button" class="link" onClick={props.onSignOut}>Sign out</button>
    </main>
  );
}
