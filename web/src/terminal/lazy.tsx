// <LazyTerminal deviceId={id} />: the same as <Terminal />, with xterm.js loaded on first
// use (its own chunk), so pages that may show a terminal do not carry it up front.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Terminal } from "./Terminal";

type Props = Parameters<typeof Terminal>[0];

let loading: Promise<ComponentType<Props>> | null = null;

function load(): Promise<ComponentType<Props>> {
  loading ??= import("./Terminal").then((module) => module.Terminal);
  return loading;
}

export function LazyTerminal(props: Props) {
  const [Loaded, setLoaded] = useState<ComponentType<Props> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    load().then(
      (component) => live && setLoaded(() => component),
      (exc) => live && setError(String(exc)),
    );
    return () => {
      live = false;
    };
  }, []);
  if (error) return <p class="error" role="alert">Terminal: {error}</p>;
  return Loaded ? <Loaded {...props} /> : <p class="empty" aria-busy="true">Loading the terminal…</p>;
}
