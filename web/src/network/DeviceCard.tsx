// One device's summary with its two ways out (its page, its SSH terminal): the map's popup,
// the globe's and the topology's side panels all show this.
import type { ComponentChildren } from "preact";
import { deviceHref, terminalHref, type ColorOf, type ViewDevice } from "./data";

export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="nw-facts">
      {items
        .filter(([, value]) => value !== "" && value !== null && value !== undefined)
        .map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

export function DeviceActions({ id, name }: { id: number; name: string }) {
  return (
    <div class="nw-actions">
      <a class="nw-button" href={deviceHref(id)} aria-label={`Open device ${name}`}>
        Open device
      </a>
      <a class="nw-button secondary" href={terminalHref(id)} aria-label={`SSH to ${name}`}>
        SSH
      </a>
    </div>
  );
}

export function Dot({ color }: { color: string }) {
  return <span class="nw-dot" style={{ background: color }} aria-hidden="true" />;
}

export function DeviceCard({
  device,
  color,
  extra,
}: {
  device: ViewDevice;
  color: string;
  extra?: ComponentChildren;
}) {
  return (
    <div class="nw-card" aria-label={`Device ${device.name}`} role="group">
      <h3>
        <Dot color={color} />
        {device.name}
      </h3>
      <Facts
        items={[
          ["Address", `${device.host}:${device.port}`],
          ["Platform", device.platform],
          ["Vendor", [device.vendor, device.model].filter(Boolean).join(" ")],
          ["Site", device.site],
          [
            "Location",
            device.lat !== null && device.lon !== null
              ? `${device.lat.toFixed(4)}, ${device.lon.toFixed(4)}`
              : "",
          ],
        ]}
      />
      {extra}
      <DeviceActions id={device.id} name={device.name} />
    </div>
  );
}

/** A legend of colours with counts: which platform is which colour, and how many. */
export function Legend({
  label,
  entries,
  color,
}: {
  label: string;
  entries: [string, number][];
  color: ColorOf;
}) {
  return (
    <ul class="nw-legend" aria-label={label}>
      {entries.map(([value, count]) => (
        <li key={value}>
          <Dot color={color(value)} />
          <span>{value}</span>
          <span class="count">{count}</span>
        </li>
      ))}
    </ul>
  );
}

/** "Find device": a name field with suggestions; Enter or picking one calls ``onFind``. */
export function FindDevice<T extends ViewDevice>({
  devices,
  onFind,
  id,
}: {
  devices: T[];
  onFind: (device: T) => void;
  id: string;
}) {
  const submit = (event: Event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem("find") as HTMLInputElement;
    const wanted = input.value.trim().toLowerCase();
    const found =
      devices.find((d) => d.name.toLowerCase() === wanted) ??
      devices.find((d) => d.name.toLowerCase().includes(wanted));
    if (wanted && found) onFind(found);
  };
  return (
    <form class="nw-find" onSubmit={submit} role="search">
      <label for={`${id}-find`} class="sr-only">
        Find device
      </label>
      <input id={`${id}-find`} name="find" list={`${id}-names`} placeholder="Find device…" />
      <datalist id={`${id}-names`}>
        {devices.slice(0, 2000).map((d) => (
          <option key={d.id} value={d.name} />
        ))}
      </datalist>
      <button type="submit">Find</button>
    </form>
  );
}
