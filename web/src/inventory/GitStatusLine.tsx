// One line about the configuration repository under the history: where the commits go and
// whether the last sync and push worked ("pushed to <remote> at <time>", "push failed: …").
import { short, when, type GitStatus } from "./git";

function describe(status: GitStatus): { text: string; problem: boolean } {
  if (!status.enabled) return { text: "Configurations are not kept in git (config_git is off).", problem: false };
  if (status.last_sync_error) return { text: `git sync failed: ${status.last_sync_error}`, problem: true };
  const head = status.head ? `head ${short(status.head)}` : "no commit yet";
  const pending = status.pending ? ` · ${status.pending} version${status.pending === 1 ? "" : "s"} waiting` : "";
  if (!status.remote) return { text: `In git: ${head}${pending} · no remote to push to.`, problem: false };
  if (!status.push) return { text: `In git: ${head}${pending} · pushing to ${status.remote} is off.`, problem: false };
  if (status.last_push_error) return { text: `push failed: ${status.last_push_error}`, problem: true };
  if (status.pushed_head && status.last_push_at) {
    const behind = status.pushed_head !== status.head ? ` (${head} not pushed yet)` : "";
    return { text: `pushed ${short(status.pushed_head)} to ${status.remote} at ${when(status.last_push_at)}${behind}`, problem: false };
  }
  return { text: `In git: ${head}${pending} · not pushed to ${status.remote} yet.`, problem: false };
}

export function GitStatusLine({ status }: { status: GitStatus }) {
  const { text, problem } = describe(status);
  return (
    <p class={`meta git-status${problem ? " problem" : ""}`} aria-label="Git status">
      {text}
    </p>
  );
}
