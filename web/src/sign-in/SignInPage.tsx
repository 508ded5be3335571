/**
 * Sign-in: with an identity provider configured on the origin, "Sign in with <provider>" (oidc.ts);
 * with the development sign-in (`npm start`), a name and a role; always, pasting a token (from
 * `npm start`'s output, `npm run token`, or an identity provider).
 */
import { useEffect, useState } from 'preact/hooks';
import { devSignIn, fetchConsoleConfig, type ConsoleConfig, type ConsoleOidc } from '../app/dev-sign-in';
import { beginSignIn } from '../app/oidc';
import type { Role } from '../app/jwt';
import { fieldsByPointer } from '../app/problem';
import { signInMessage, startSession } from '../app/session';
import { Alert, FieldErrors, PageHeading, TextField, useFormProblems, useId } from '../app/ui';

function DevSignInForm() {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('customer');
  const [busy, setBusy] = useState(false);
  const problems = useFormProblems(fieldsByPointer({ '/sub': 'sub', '/role': 'role' }));
  const roleId = useId('role');

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) return problems.showLocal({ sub: ['Enter a user name'] });
    setBusy(true);
    const answer = await devSignIn(name.trim(), role);
    setBusy(false);
    if (!answer.ok) return problems.show(answer.problem);
    const started = startSession(answer.token);
    if (!started.ok) problems.showLocal({ sub: [started.message] });
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-labelledby="dev-sign-in-heading" noValidate>
      <h2 id="dev-sign-in-heading">Development sign-in</h2>
      <p class="hint">Any name, either role: this exists only on a development system.</p>
      <TextField label="User name" value={name} onValue={setName} errors={problems.fields.sub} autoComplete="username" required />
      <div class="field">
        <label for={roleId}>Role</label>
        <select
          id={roleId}
          value={role}
          onChange={(event) => setRole(event.currentTarget.value as Role)}
          aria-describedby={problems.fields.role ? `${roleId}-error` : undefined}
        >
          <option value="customer">Customer</option>
          <option value="admin">Admin</option>
        </select>
        <FieldErrors id={`${roleId}-error`} errors={problems.fields.role} />
      </div>
      <Alert messages={problems.general} />
      <button type="submit" class="primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}

function IdentityProviderSignIn({ oidc }: { oidc: ConsoleOidc }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string[] | undefined>();
  const provider = new URL(oidc.issuer).host;
  const start = async () => {
    setBusy(true);
    setError(undefined);
    // Resolves only when the browser could not be sent to the provider.
    const failed = await beginSignIn(oidc);
    setBusy(false);
    setError([failed.message]);
  };
  return (
    <section aria-labelledby="oidc-sign-in-heading">
      <h2 id="oidc-sign-in-heading">Your account</h2>
      <p class="hint">Sign in at the shop's identity provider; you come back here signed in.</p>
      <Alert messages={error} />
      <button type="button" class="primary" disabled={busy} onClick={() => void start()}>
        Sign in with {provider}
      </button>
    </section>
  );
}

function PasteTokenForm() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string[] | undefined>();
  const id = useId('token');
  const submit = (event: Event) => {
    event.preventDefault();
    const started = startSession(token);
    setError(started.ok ? undefined : [started.message]);
  };
  return (
    <form onSubmit={submit} aria-labelledby="paste-token-heading" noValidate>
      <h2 id="paste-token-heading">Paste a token</h2>
      <div class="field">
        <label for={id}>Token</label>
        <p class="hint" id={`${id}-hint`}>
          A bearer token (JWT), e.g. ALICE or ADMIN from the output of <code>npm start</code>.
        </p>
        <textarea
          id={id}
          rows={4}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
          spellcheck={false}
        />
        <FieldErrors id={`${id}-error`} errors={error} />
      </div>
      <button type="submit">Use token</button>
    </form>
  );
}

export function SignInPage() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  useEffect(() => {
    void fetchConsoleConfig().then(setConfig);
  }, []);
  return (
    <div class="sign-in">
      <PageHeading>Sign in</PageHeading>
      <Alert messages={signInMessage.value ? [signInMessage.value] : undefined} tone="info" />
      <div class="sign-in-forms">
        {config?.oidc && <IdentityProviderSignIn oidc={config.oidc} />}
        {config?.devSignIn && <DevSignInForm />}
        <PasteTokenForm />
      </div>
    </div>
  );
}
