// Changing one's own password: after signing in with a one-time password (the whole screen,
// nothing else is allowed until done), or any time from "My API keys".
import { useState } from "preact/hooks";
import { api, type User } from "../api";
import { message } from "./common";

interface Props {
  /** Signed in with a one-time password: no current password is asked. */
  oneTime: boolean;
  onDone: (user: User) => void;
}

export function PasswordForm({ oneTime, onDone }: Props) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    if (next !== again) {
      setError("The two new passwords differ.");
      return;
    }
    const body: Record<string, string> = { new_password: next };
    if (!oneTime) body.current_password = current;
    try {
      const user = await api<User>("/api/v1/auth/password", {
        method: "POST",
        body: JSON.stringify(body),
      });
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
      onDone(user);
    } catch (exc) {
      setError(message(exc));
    }
  };
  return (
    <form class="password-form" onSubmit={submit} aria-label="Change password">
      {!oneTime && (
        <label>
          Current password
          <input type="password" autocomplete="current-password" required value={current}
            onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <label>
        New password (12 characters or more)
        <input type="password" autocomplete="new-password" required minLength={12} value={next}
          onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        New password again
        <input type="password" autocomplete="new-password" required minLength={12} value={again}
          onInput={(e) => setAgain((e.target as HTMLInputElement).value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      {done && <p class="notice ok" role="status">Password changed.</p>}
      <button type="submit">Change password</button>
    </form>
  );
}

/** The whole screen after a sign-in with a one-time password. */
export function ForcedPasswordChange({ user, onDone, onSignOut }: {
  user: User;
  onDone: (user: User) => void;
  onSignOut: () => void;
}) {
  return (
    <main class="login">
      <div class="login-box">
        <h1>NetWeave</h1>
        <p>
          Welcome, <strong>{user.username}</strong>. You signed in with a one-time password:
          choose your own password to continue.
        </p>
        <PasswordForm oneTime onDone={onDone} />
        <button class="quiet" type="button" onClick={onSignOut}>Sign out</button>
      </div>
    </main>
  );
}
