// Small line icons for the builder (no icon font, no extra package).
import type { ComponentChildren } from "preact";

export type Family = "command" | "config" | "check" | "rest" | "ansible" | "workflow" | "custom" | "missing";

const FAMILIES: Record<string, Family> = {
  netmiko_commands: "command",
  scrapli_commands: "command",
  napalm_getters: "command",
  netmiko_config: "config",
  napalm_config: "config",
  config_backup: "config",
  config_restore: "config",
  data_validation: "check",
  reachability: "check",
  rest_call: "rest",
  ansible_playbook: "ansible",
};

export function familyOf(type: string | undefined, kind: "service" | "workflow"): Family {
  if (kind === "workflow") return "workflow";
  if (type === undefined) return "missing";
  return FAMILIES[type] ?? "custom";
}

function Svg({ children }: { children: ComponentChildren }) {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor"
      stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      {children}
    </svg>
  );
}

export function FamilyIcon({ family }: { family: Family }) {
  switch (family) {
    case "command":
      return <Svg><path d="M4 17l6-5-6-5" /><path d="M12 19h8" /></Svg>;
    case "config":
      return (
        <Svg>
          <circle cx="12" cy="12" r="3" />
          <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
        </Svg>
      );
    case "check":
      return <Svg><path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z" /><path d="M8.5 12l2.5 2.5 4.5-5" /></Svg>;
    case "rest":
      return <Svg><circle cx="12" cy="12" r="9" /><path d="M3 12h18" /><path d="M12 3a14 14 0 0 1 0 18a14 14 0 0 1 0-18" /></Svg>;
    case "ansible":
      return <Svg><path d="M12 3L4 21" /><path d="M12 3l8 18" /><path d="M8 13l9 6" /></Svg>;
    case "workflow":
      return <Svg><rect x="3" y="3" width="7" height="7" rx="1.5" /><rect x="14" y="14" width="7" height="7" rx="1.5" /><path d="M10 6.5h4a3 3 0 0 1 3 3V14" /></Svg>;
    case "missing":
      return <Svg><circle cx="12" cy="12" r="9" /><path d="M12 8v5" /><path d="M12 16.5v.01" /></Svg>;
    default:
      return <Svg><path d="M8 6l-5 6 5 6" /><path d="M16 6l5 6-5 6" /></Svg>;
  }
}

export function PlayIcon() {
  return <Svg><path d="M7 4.5v15l12-7.5z" fill="currentColor" /></Svg>;
}

export function StopIcon() {
  return <Svg><rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor" /></Svg>;
}
