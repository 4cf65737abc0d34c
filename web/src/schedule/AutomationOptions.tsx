// The options of a "what it runs" select: services and workflows in groups, and the current
// value even when it is no longer listed (renamed or deleted since).
import { useAutomations } from "./model";

export function AutomationOptions({ current }: { current: string }) {
  const automations = useAutomations();
  const known = [...automations.services, ...automations.workflows];
  return (
    <>
      <option value="" disabled>Pick a service or workflow</option>
      {automations.services.length > 0 && (
        <optgroup label="Services">
          {automations.services.map((name) => <option key={name} value={name}>{name}</option>)}
        </optgroup>
      )}
      {automations.workflows.length > 0 && (
        <optgroup label="Workflows">
          {automations.workflows.map((name) => <option key={name} value={name}>{name}</option>)}
        </optgroup>
      )}
      {current && !known.includes(current) && <option value={current}>{current}</option>}
    </>
  );
}
