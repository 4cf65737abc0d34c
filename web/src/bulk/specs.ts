// The bulk actions of the automation tables (services, workflows): delete the selected
// ones, or run each once on its default targets — one request each, all or none.
import type { BulkSpec } from "./BulkActions";

export function automationBulk(kind: "service" | "workflow"): BulkSpec {
  return {
    noun: kind,
    deleteEndpoint: `/api/v1/${kind}s/bulk-delete`,
    runEndpoint: `/api/v1/${kind}s/bulk-run`,
  };
}

/** For the workflows table (web/src/workflow/WorkflowList.tsx: `bulk: WORKFLOW_BULK`). */
export const WORKFLOW_BULK = automationBulk("workflow");
