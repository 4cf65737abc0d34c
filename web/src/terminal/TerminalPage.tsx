// #/devices/{id}/terminal: a full-page terminal on one device.
import { useEffect, useState } from "preact/hooks";
import { api, type Device } from "../api";
import { LazyTerminal } from "./lazy";
import "./pages.css";

export function TerminalPage({ id }: { id: number }) {
  const [device, setDevice] = useState<Device | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Device>(`/api/v1/devices/${id}`).then(setDevice, (exc: Error) => setError(exc.message));
  }, [id]);
  const name = device?.name ?? `device ${id}`;
  useEffect(() => {
    document.title = `Terminal · ${name} · NetWeave`;
    return () => {
      document.title = "NetWeave";
    };
  }, [name]);
  return (
    <section class="terminal-page" aria-label={`Terminal ${name}`}>
      <div class="toolbar">
        <h2>
          Terminal <small>{name}</small>
        </h2>
      </div>
      <p class="meta">
        {device ? (
          <>
            {device.host}:{device.port} · {device.platform} ·{" "}
          </>
        ) : null}
        <a href={`#/devices/${id}`}>device page</a> ·{" "}
        <a href="#/terminal-sessions">terminal sessions</a>
      </p>
      {error ? (
        <p class="error" role="alert">{error}</p>
      ) : (
        <LazyTerminal key={id} deviceId={id} height="calc(100vh - 230px)" />
      )}
    </section>
  );
}
