// Types and helpers shared by the admin pages (users, API keys, password).
import { ApiError } from "../api";

export interface UserRow {
  id: number;
  username: string;
  role: "viewer" | "operator" | "admin";
  is_active: boolean;
  must_change_password: boolean;
  last_login_at: string | null;
}

export interface KeyRow {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  scope: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const ROLES: UserRow["role"][] = ["viewer", "operator", "admin"];

export function message(exc: unknown): string {
  return exc instanceof ApiError ? exc.message : String(exc);
}

export function when(moment: string | null): string {
  return moment ? new Date(moment).toLocaleString() : "";
}
