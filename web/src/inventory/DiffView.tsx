// Two texts side by side with the changed lines marked and long unchanged stretches folded:
// configuration versions, commits, show command outputs.
import { type Row } from "./diff";

interface Props {
  rows: Row[];
  /** What is compared, e.g. "Version 1 ↔ version 2 · b7fd629 → 91acf37". */
  caption: string;
  /** The figure's accessible name. */
  label?: string;
}

export function DiffView({ rows, caption, label = "Configuration difference" }: Props) {
  const changes = rows.filter((r) => r.kind !== "same" && r.kind !== "fold").length;
  return (
    <figure class="card diff-view" aria-label={label}>
      <figcaption>
        {caption}: {changes ? `${changes} changed line${changes > 1 ? "s" : ""}` : "identical"}
      </figcaption>
      <table class="sbs">
        <colgroup>
          <col class="ln" />
          <col />
          <col class="ln" />
          <col />
        </colgroup>
        <tbody>
          {rows.map((row, index) =>
            row.kind === "fold" ? (
              <tr key={index} class="fold">
                <td colSpan={4}>⋯ {row.folded} unchanged line{row.folded === 1 ? "" : "s"}</td>
              </tr>
            ) : (
              <tr key={index} class={row.kind}>
                <td class="ln">{row.left?.number ?? ""}</td>
                <td class={`code ${row.left && row.kind !== "same" ? "old" : ""}`}>{row.left?.text ?? ""}</td>
                <td class="ln">{row.right?.number ?? ""}</td>
                <td class={`code ${row.right && row.kind !== "same" ? "new" : ""}`}>{row.right?.text ?? ""}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </figure>
  );
}
