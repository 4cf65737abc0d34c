// The REST API, called with the login cookie (same origin).

export interface FieldError {
  [extra: string]: unknown;
  field: string;
  message: string;
}

/** An error answer: ``detail`` as the message; ``field`` / ``errors`` name what was wrong. */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public field: string | null = null,
    public errors: FieldError[] = [],
  ) {
    super(message);
  }

  /** Messages per field path ("name", "inputs.commands", "devices.0"). */
  byField(): Record<string, string> {
    const found: Record<string, string> = {};
    for (const error of this.errors) if (error.field) found[error.field] = error.message;
    if (this.field && !found[this.field]) found[this.field] = this.message;
    return found;
  }
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function cookie(name: string): string | null {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const csrf = cookie("netweave_csrf"); // double-submit token of the login session
  if (csrf && !SAFE.has((init.method ?? "GET").toUpperCase())) headers.set("X-CSRF-Token", csrf);
  const response = await fetch(path, { ...init, headers, credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function failure(response: Response): Promise<ApiError> {
  let detail = response.statusText;
  let field: string | null = null;
  let errors: FieldError[] = [];
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    if (typeof body.field === "string") field = body.field;
    if (Array.isArray(body.errors)) errors = body.errors;
  } catch {
    /* not JSON */
  }
  return new ApiError(response.status, detail, field, errors);
}

/** POST a file as multipart/form-data (the browser sets the boundary). */
export async function upload<T>(path: string, file: File): Promise<T> {
  const form = new FormData();
  form.append("file", file);
  const csrf = cookie("netweave_csrf");
  const response = await fetch(path, {
    method: "POST",
    body: form,
    headers: csrf ? { "X-CSRF-Token": csrf } : {},
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export interface User {
  id: number;
  username: string;
  role: "viewer" | "operator" | "admin";
  /** Signed in with a one-time password: must choose a new password first. */
  must_change_password?: boolean;
}

export interface Me {
  user: User;
  via: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A device as the API reads it (DeviceRead). */
export interface Device {
  id: number;
  name: string;
  host: string;
  port: number;
  platform: string;
  driver: string;
  vendor: string;
  model: string;
  os_version: string;
  site: string;
  latitude: number | null;
  longitude: number | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  credential: string | null;
  created_at: string;
  updated_at: string;
}
