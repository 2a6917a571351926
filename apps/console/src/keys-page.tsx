import { useCallback, useEffect, useState } from 'preact/hooks';
import { deleteKey, listKeys, listUsers, setKeyState, type AccessKey, type NewAccessKey, type ProjectUser, type Session } from './api.ts';
import { ConfirmDialog, CreateKeyDialog, SecretDialog, type Confirmation } from './key-dialogs.tsx';
import { DIALECTS, formatDate, isExpired, stateLabel } from './format.ts';

type Open = { kind: 'create' } | { kind: 'secret'; key: NewAccessKey } | { kind: 'confirm'; confirm: Confirmation } | undefined;

export function KeysPage(props: { session: Session; onChangeProject: () => void; onSignOut: () => void; onError: (e: unknown) => void }) {
  const s = props.session;
  const admin = s.roles.includes('admin');
  const canWrite = admin || s.roles.includes('member');
  const [keys, setKeys] = useState<AccessKey[]>();
  const [users, setUsers] = useState<ProjectUser[]>();
  const [open, setOpen] = useState<Open>();
  const [status, setStatus] = useState<string>();

  const reload = useCallback(() => listKeys(s).then(setKeys, props.onError), [s]);
  useEffect(() => {
    void reload();
    if (admin) listUsers(s).then(setUsers, props.onError);
  }, [s]);

  function confirmState(k: AccessKey, state: 'active' | 'inactive') {
    const verb = state === 'inactive' ? 'Deactivate' : 'Reactivate';
    setOpen({
      kind: 'confirm',
      confirm: {
        title: `${verb} access key?`,
        text: state === 'inactive'
          ? `Requests signed with ${k.access} will be refused until the key is reactivated.`
          : `Requests signed with ${k.access} will be accepted again.`,
        action: verb,
        danger: state === 'inactive',
        run: async () => {
          await setKeyState(s, k.access, state);
          setStatus(`Access key ${k.access} ${state === 'inactive' ? 'deactivated' : 'reactivated'}.`);
          await reload();
        },
      },
    });
  }

  function confirmDelete(k: AccessKey) {
    setOpen({
      kind: 'confirm',
      confirm: {
        title: 'Delete access key?',
        text: `${k.access} will be deleted for good, in every API that uses it. Requests signed with it will be refused.`,
        action: 'Delete',
        danger: true,
        run: async () => {
          await deleteKey(s, k.access);
          setStatus(`Access key ${k.access} deleted.`);
          await reload();
        },
      },
    });
  }

  function created(k: NewAccessKey) {
    setOpen({ kind: 'secret', key: k });
    setStatus(`Access key ${k.access} created.`);
    void reload();
  }

  return (
    <>
      <header class="bar">
        <span class="brand">Lintel</span>
        <span class="who">
          <span>{s.user.name}</span>
          <span class="muted"> · project {s.project?.name}{admin ? ' (admin)' : ''}</span>
        </span>
        <nav aria-label="Session">
          <button type="button" class="link" onClick={props.onChangeProject}>Change project</button>
          <button type="button" class="link" onClick={props.onSignOut}>Sign out</button>
        </nav>
      </header>
      <main class="page" aria-labelledby="keys-title">
        <div class="page-head">
          <h1 id="keys-title">Access keys</h1>
          {canWrite && <button type="button" class="primary" onClick={() => setOpen({ kind: 'create' })}>Create access key</button>}
        </div>
        <p class="muted">
          {admin ? `Every user's keys in project ${s.project?.name}. ` : `Your keys in project ${s.project?.name}. `}
          Keys from every API (console, SODA, Keystone, Edgio, Outscale, Alibaba Cloud) are the same keys: deactivating or deleting one here does it everywhere.
        </p>
        <p class="status" role="status">{status ?? ''}</p>
        {!keys && <p>Loading access keys…</p>}
        {keys && !keys.length && <p class="empty">No access keys yet.</p>}
        {keys && keys.length > 0 && (
          <table class="keys">
            <caption class="sr-only">Access keys</caption>
            <thead>
              <tr>
                <th scope="col">Access key ID</th>
                {admin && <th scope="col">Owner</th>}
                <th scope="col">Issued by</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-access={k.access}>
                  <th scope="row" data-label="Access key ID"><span class="mono">{k.access}</span></th>
                  {admin && <td data-label="Owner">{k.user_name ?? k.user_id}{k.user_id === s.user.id ? ' (you)' : ''}</td>}
                  <td data-label="Issued by">{DIALECTS[k.issuer] ?? k.issuer}</td>
                  <td data-label="State"><span class={`badge ${k.state === 'inactive' || isExpired(k) ? 'off' : 'on'}`}>{stateLabel(k)}</span></td>
                  <td data-label="Created"><time dateTime={k.created_at}>{formatDate(k.created_at)}</time></td>
                  <td data-label="Expires">{k.expires_at ? <time dateTime={k.expires_at}>{formatDate(k.expires_at)}</time> : 'Never'}</td>
                  <td data-label="Last used">{k.last_used_at ? <time dateTime={k.last_used_at}>{formatDate(k.last_used_at)}</time> : 'Never'}</td>
                  <td class="row-actions">
                    {(admin || (canWrite && k.user_id === s.user.id)) && (
                      <>
                        {k.state === 'active'
                          ? <button type="button" onClick={() => confirmState(k, 'inactive')} aria-label={`Deactivate ${k.access}`}>Deactivate</button>
                          : <button type="button" onClick={() => confirmState(k, 'active')} aria-label={`Reactivate ${k.access}`}>Reactivate</button>}
                        <button type="button" class="danger" onClick={() => confirmDelete(k)} aria-label={`Delete ${k.access}`}>Delete</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
      {open?.kind === 'create' && (
        <CreateKeyDialog session={s} users={admin ? users : undefined} onCreated={created} onClose={() => setOpen(undefined)} onError={props.onError} />
      )}
      {open?.kind === 'secret' && <SecretDialog session={s} created={open.key} onDone={() => setOpen(undefined)} />}
      {open?.kind === 'confirm' && <ConfirmDialog confirm={open.confirm} onClose={() => setOpen(undefined)} onError={props.onError} />}
    </>
  );
}
