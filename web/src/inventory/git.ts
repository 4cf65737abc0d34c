// The configuration repository's API (configurations and show outputs as git commits): the
// shapes it answers and small helpers shared by the history, blame and operational views.
import { api, ApiError } from "../api";

/** One stored version of the running configuration (or of a show command's output). */
export interface Version {
  version: number;
  sha256: string;
  size: number;
  source: string;
  run_id: string | null;
  created_at: string;
  content?: string | null;
  command?: string;
  /** The commit holding it; null until the repository caught up (or with git off). */
  commit?: string | null;
}

/** A show command's stored output (the operational data of a backup). */
export interface Operational extends Version {
  command: string;
  slug: string;
}

/** A commit of the device's file, newest first in the log. */
export interface GitCommit {
  commit: string;
  version: number;
  command: string;
  time: string;
  message: string;
  path: string | null;
}

/** The device's file as it was at a commit. */
export interface GitFile {
  device: string;
  command: string;
  commit: string;
  path: string;
  version: number | null;
  time: string;
  content: string;
}

export interface BlameLine {
  line_number: number;
  line: string;
  /** Where the line first appeared. */
  commit: string;
  version: number | null;
  time: string;
}

export interface GitBlame {
  device: string;
  command: string;
  commit: string;
  path: string;
  version: number | null;
  truncated: boolean;
  lines: BlameLine[];
}

export interface GitStatus {
  enabled: boolean;
  path: string | null;
  head: string | null;
  pending: number;
  remote: string | null;
  push: boolean;
  pushed_head: string | null;
  last_sync_at: string | null;
  last_sync_error: string | null;
  last_push_at: string | null;
  last_push_error: string | null;
}

/** The seven digits git shows. */
export const short = (sha: string) => sha.slice(0, 7);

/** A commit message's first line ("backup r1 v2 (run 5f…)"), without the trailers. */
export const subject = (message: string) => message.split("\n", 1)[0];

export const when = (iso: string) => new Date(iso).toLocaleString();

/** The repository's status; `enabled: false` when config_git is off. */
export const gitStatus = () => api<GitStatus>("/api/v1/configs/git/status");

/** The device's commits (of its running configuration, or of one show command), newest first. */
export const gitLog = (deviceId: number, command = "") =>
  api<GitCommit[]>(`/api/v1/devices/${deviceId}/configs/git/log?${new URLSearchParams({ command })}`);

export const gitShow = (deviceId: number, commit: string, command = "") =>
  api<GitFile>(`/api/v1/devices/${deviceId}/configs/git/show?${new URLSearchParams({ commit, command })}`);

/** Unified diff (text/x-diff) of the device's file from one commit to another. */
export async function gitDiff(deviceId: number, from: string, to: string, command = ""): Promise<string> {
  const query = new URLSearchParams({ from, to, command });
  return text(`/api/v1/devices/${deviceId}/configs/git/diff?${query}`);
}

/** Blame of the device's file at `commit` (default: its latest). */
export const gitBlame = (deviceId: number, command = "", commit?: string) =>
  api<GitBlame>(
    `/api/v1/devices/${deviceId}/configs/git/blame?${new URLSearchParams(commit ? { command, commit } : { command })}`,
  );

/** A text answer (the diff endpoints answer text/x-diff, not JSON). */
export async function text(path: string): Promise<string> {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, detail);
  }
  return response.text();
}
