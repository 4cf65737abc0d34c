// The palette: every service and every other workflow (a sub-workflow step), searchable,
// dragged onto the canvas (or double-clicked / Enter to add beside the last step).
import { useState } from "preact/hooks";
import { DRAG_TYPE, type PaletteItem } from "./Canvas";
import { FamilyIcon, familyOf } from "./icons";
import type { Automation, ServiceType } from "./types";

interface Props {
  services: Automation[];
  workflows: Automation[];
  types: Record<string, ServiceType>;
  onAdd: (item: PaletteItem) => void;
}

function Item({ row, subtitle, onAdd }: { row: Automation; subtitle: string; onAdd: Props["onAdd"] }) {
  const item: PaletteItem = { kind: row.kind === "workflow" ? "workflow" : "service", ref: row.name };
  const family = familyOf(row.type, item.kind);
  return (
    <li class={`wf-item fam-${family}`} draggable tabIndex={0}
      aria-label={`${item.kind === "workflow" ? "Workflow" : "Service"} ${row.name}`}
      title={row.description || `${row.name} (${subtitle})`}
      onDragStart={(e) => {
        e.dataTransfer!.setData(DRAG_TYPE, JSON.stringify(item));
        e.dataTransfer!.setData("text/plain", row.name);
        e.dataTransfer!.effectAllowed = "copy";
      }}
      onDblClick={() => onAdd(item)}
      onKeyDown={(e) => e.key === "Enter" && onAdd(item)}>
      <span class="wf-icon"><FamilyIcon family={family} /></span>
      <span class="wf-text">
        <strong>{row.name}</strong>
        <small>{subtitle}</small>
      </span>
      <span class="wf-grip" aria-hidden="true">⋮⋮</span>
    </li>
  );
}

export function Palette({ services, workflows, types, onAdd }: Props) {
  const [text, setText] = useState("");
  const needle = text.trim().toLowerCase();
  const matches = (row: Automation) =>
    !needle ||
    [row.name, row.type, types[row.type]?.title ?? "", row.description].some((v) => v.toLowerCase().includes(needle));
  const shownServices = services.filter(matches);
  const shownWorkflows = workflows.filter(matches);
  return (
    <aside class="wf-palette" aria-label="Palette">
      <div class="wf-palette-head">
        <h3>Add steps</h3>
        <input type="search" placeholder="Search" aria-label="Search the palette"
          value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </div>
      <div class="wf-palette-list">
        <h4>Services <small>{shownServices.length}</small></h4>
        {services.length === 0 ? (
          <p class="wf-muted">No services yet: create them under <a href="#/services">Services</a>.</p>
        ) : (
          <ul aria-label="Services">
            {shownServices.map((row) => (
              <Item key={row.id} row={row} subtitle={types[row.type]?.title || row.type} onAdd={onAdd} />
            ))}
          </ul>
        )}
        {needle && shownServices.length === 0 && services.length > 0 && <p class="wf-muted">No service matches.</p>}
        <h4>Workflows <small>{shownWorkflows.length}</small></h4>
        {workflows.length === 0 ? (
          <p class="wf-muted">Other workflows show here, to run as a sub-workflow step.</p>
        ) : (
          <ul aria-label="Workflows">
            {shownWorkflows.map((row) => (
              <Item key={row.id} row={row}
                subtitle={`Sub-workflow · ${row.graph?.nodes.length ?? 0} steps`} onAdd={onAdd} />
            ))}
          </ul>
        )}
      </div>
      <footer>Drag onto the canvas, or double-click to add.</footer>
    </aside>
  );
}
