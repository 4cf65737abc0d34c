import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Me, type User } from "./api";
import { AdminPage, MyKeysPage } from "./admin";
import { ForcedPasswordChange } from "./admin/PasswordForm";
import { DashboardPage } from "./dashboard";
import { RunPage } from "./run";
import { ROUTES as INVENTORY_ROUTES, TABLES } from "./pages";
import { DataTable } from "./table";
import { match, SECTIONS, type Route } from "./router";
import { UserContext } from "./session";
import { ROUTES as NETWORK_ROUTES } from "./network/routes";
import { ROUTES as TERMINAL_ROUTES } from "./terminal/routes";
import { ROUTES as WORKFLOW_ROUTES } from "./workflow/routes";
import { ROUTES as SCHEDULE_ROUTES } from "./schedule/routes";
import "./styles.css";

function Login({ onLogin }: { onLogin: (user: User) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api("/api/v1/auth/login", {
        method: "POST",
        body: JSON.stringify({ username, password }),
      });
      onLogin((await api<Me>("/api/v1/auth/me")).user);
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>NetWeave</h1>
        <label>
          User
          <input name="username" autocomplete="username" value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}

function useRoute(): string {
  const read = () => window.location.hash.replace(/^#\/?/, "") || "dashboard";
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const follow = () => setRoute(read());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return route;
}

// Every page, from every feature module; the first match wins.
const ROUTES: Route[] = [
  {
    path: /^dashboard$/,
    render: () => <DashboardPage />,
    nav: { section: "Overview", title: "Dashboard" },
  },
  {
    path: /^admin$/,
    render: () => <AdminPage />,
    nav: { section: "Admin", title: "Users and keys" },
    roles: ["admin"],
  },
  {
    path: /^my-keys$/,
    render: () => <MyKeysPage />,
    nav: { section: "Admin", title: "My API keys", order: 1 },
  },
  { path: /^runs\/([\w-]+)$/, render: ([id]) => <RunPage id={id} /> },
  ...INVENTORY_ROUTES,
  ...NETWORK_ROUTES,
  ...TERMINAL_ROUTES,
  ...WORKFLOW_ROUTES,
  ...SCHEDULE_ROUTES,
  ...Object.entries(TABLES).map(
    ([name, spec], order): Route => ({
      path: new RegExp(`^${name}$`),
      render: () => <DataTable key={name} spec={spec} />,
      nav: { section: spec.section, title: spec.title, order },
    }),
  ),
];

function Navigation({ user, hash }: { user: User; hash: string }) {
  const visible = ROUTES.filter((r) => r.nav && (!r.roles || r.roles.includes(user.role)));
  const head = hash.split("/")[0];
  return (
    <nav class="side" aria-label="Main">
      {SECTIONS.map((section) => {
        const links = visible
          .filter((r) => r.nav!.section === section)
          .sort((a, b) => (a.nav!.order ?? 0) - (b.nav!.order ?? 0));
        if (!links.length) return null;
        return (
          <div key={section}>
            <h3>{section}</h3>
            {links.map((r) => {
              const href = r.nav!.href ?? r.path.source.replace(/^\^|\$$/g, "");
              return (
                <a key={href} href={`#/${href}`} class={head === href.split("/")[0] ? "active" : ""}>
                  {r.nav!.title}
                </a>
              );
            })}
          </div>
        );
      })}
    </nav>
  );
}

function App() {
  const [me, setMe] = useState<User | null | undefined>(undefined);
  const hash = useRoute();
  useEffect(() => {
    api<Me>("/api/v1/auth/me").then((found) => setMe(found.user), () => setMe(null));
  }, []);
  if (me === undefined) return null;
  if (me === null) return <Login onLogin={setMe} />;
  const logout = async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    setMe(null);
  };
  // signed in with a one-time password: nothing else until a new password is chosen
  if (me.must_change_password) {
    return <ForcedPasswordChange user={me} onDone={setMe} onSignOut={logout} />;
  }
  // Roles only trim the navigation: a page typed by hand still renders, and the API says no.
  const found = match(ROUTES, hash);
  return (
    <UserContext.Provider value={me}>
      <div class="shell">
        <header>
          <strong>NetWeave</strong>
          <span class="user">{me.username} · {me.role}</span>
          <button onClick={logout}>Sign out</button>
        </header>
        <div class="body">
          <Navigation user={me} hash={hash} />
          <main>{found ? found.route.render(found.params, me) : <p>No page {hash}.</p>}</main>
        </div>
      </div>
    </UserContext.Provider>
  );
}

render(<App />, document.getElementById("app")!);
