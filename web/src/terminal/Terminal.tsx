// A web SSH terminal on one inventory device: xterm.js in the page, a WebSocket to the
// server, the server's SSH session to the device (with the device's stored credential).
// Drop <Terminal deviceId={id} /> anywhere: it fits its container and follows its size.
import { useEffect, useRef, useState } from "preact/hooks";
import { Terminal as XTerm } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import "./terminal.css";
import { canEdit, useUser } from "../session";

export type TerminalState = "connecting" | "connected" | "closed";

export interface TerminalStatus {
  state: TerminalState;
  /** Why it closed (the server's close reason), or what is going on. */
  detail: string;
  /** The audit id of the session (see #/terminal-sessions). */
  session?: number;
}

// The server's close codes (see netweave.core.terminal.protocol).
const CLOSE_TEXT: Record<number, string> = {
  1000: "closed",
  1001: "the server is going away",
  1006: "the connection dropped",
  1011: "server error",
  4401: "not signed in",
  4403: "not allowed",
  4404: "no such device",
  4408: "idle timeout",
  4422: "the device has no stored credential",
  4429: "too many terminal sessions",
  4502: "the device could not be reached",
};
const PRINTED_BY_SERVER = new Set([4408, 4502]); // the server wrote the reason in the terminal

const THEME = {
  background: "#101828",
  foreground: "#e4e8f0",
  cursor: "#8fb0ff",
  cursorAccent: "#101828",
  selectionBackground: "#2f4a8a",
  black: "#1d2433",
  blue: "#6f9bff",
  brightBlue: "#9dbbff",
  green: "#5ccf85",
  red: "#f0726a",
  yellow: "#f4c95d",
  scrollbarSliderBackground: "rgba(228, 232, 240, 0.14)",
  scrollbarSliderHoverBackground: "rgba(228, 232, 240, 0.28)",
  scrollbarSliderActiveBackground: "rgba(228, 232, 240, 0.36)",
};
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

function socketUrl(deviceId: number, cols: number, rows: number): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/api/v1/devices/${deviceId}/terminal?cols=${cols}&rows=${rows}`;
}

const encoder = new TextEncoder();

export function Terminal({
  deviceId,
  height = "60vh",
  onStatus,
}: {
  deviceId: number;
  /** CSS height of the screen (it fills the container's width). */
  height?: string;
  onStatus?: (status: TerminalStatus) => void;
}) {
  const user = useUser();
  const screen = useRef<HTMLDivElement>(null);
  const xterm = useRef<XTerm | null>(null);
  const fitter = useRef<FitAddon | null>(null);
  const socket = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState<TerminalStatus>({ state: "connecting", detail: "" });
  const [attempt, setAttempt] = useState(0);
  const allowed = canEdit(user);

  const report = (next: TerminalStatus) => {
    setStatus(next);
    onStatus?.(next);
  };

  // the terminal itself: created once, fitted to its box whenever the box changes size
  useEffect(() => {
    if (!allowed || !screen.current) return;
    const term = new XTerm({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: THEME,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(screen.current);
    fit.fit();
    xterm.current = term;
    fitter.current = fit;
    const send = (data: Uint8Array) => {
      const ws = socket.current;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
    };
    const typed = term.onData((data) => send(encoder.encode(data)));
    const binary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    const resized = term.onResize(({ cols, rows }) => {
      const ws = socket.current;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resize", cols, rows }));
    });
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => fit.fit());
    });
    observer.observe(screen.current);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      typed.dispose();
      binary.dispose();
      resized.dispose();
      term.dispose();
      xterm.current = null;
    };
  }, [allowed]);

  // one WebSocket per attempt (Reconnect starts a new one)
  useEffect(() => {
    const term = xterm.current;
    if (!allowed || !term) return;
    fitter.current?.fit();
    if (attempt > 0) term.write(`\r\n\x1b[90m— reconnecting —\x1b[0m\r\n${SHOW_CURSOR}`);
    report({ state: "connecting", detail: "" });
    const ws = new WebSocket(socketUrl(deviceId, term.cols, term.rows));
    ws.binaryType = "arraybuffer";
    socket.current = ws;
    let session: number | undefined;
    ws.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(event.data));
        return;
      }
      const message = JSON.parse(String(event.data)) as { type: string; session?: number; message?: string };
      if (message.type === "connected") {
        session = message.session;
        report({ state: "connected", detail: "", session });
        term.focus();
      } else if (message.type === "connecting") {
        session = message.session;
        report({ state: "connecting", detail: "logging in", session });
      } else if (message.type === "error") {
        term.write(`\r\n\x1b[33m[${message.message}]\x1b[0m\r\n`);
      }
    };
    ws.onclose = (event) => {
      if (socket.current !== ws) return; // replaced by a newer attempt
      socket.current = null;
      const detail = event.reason || CLOSE_TEXT[event.code] || `closed (code ${event.code})`;
      if (!PRINTED_BY_SERVER.has(event.code)) {
        const color = event.code === 1000 ? "90" : "31";
        term.write(`\r\n\x1b[${color}m[connection closed: ${detail}]\x1b[0m\r\n`);
      }
      term.write(HIDE_CURSOR);
      report({ state: "closed", detail, session });
    };
    return () => {
      socket.current = null;
      ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    };
  }, [deviceId, attempt, allowed]);

  if (!allowed) {
    return (
      <p class="notice" role="note">
        A terminal can change the device's configuration: it needs the operator or admin role
        (you are a {user.role}).
      </p>
    );
  }
  const label = { connecting: "Connecting…", connected: "Connected", closed: "Closed" }[status.state];
  return (
    <div class="terminal-panel" aria-label="Terminal">
      <div class="terminal-status" role="status" aria-label="Terminal status">
        <span class={`badge terminal-${status.state}`}>{label}</span>
        {status.detail && <span class="terminal-detail" title={status.detail}>{status.detail}</span>}
        {status.session !== undefined && (
          <a class="terminal-audit" href={`#/terminal-sessions/${status.session}`}>
            session #{status.session}
          </a>
        )}
        <span class="terminal-actions">
          {status.state === "closed" ? (
            <button onClick={() => setAttempt(attempt + 1)}>Reconnect</button>
          ) : (
            <button class="quiet" onClick={() => socket.current?.close(1000, "closed by the user")}>
              Disconnect
            </button>
          )}
        </span>
      </div>
      <div class="terminal-screen" ref={screen} style={{ height }} aria-label="Terminal screen" />
    </div>
  );
}
