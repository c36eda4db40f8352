// One HTTP call to the API: a request id on the way out, problem+json on the way back.

import { ApiError, NetworkError, type Problem } from "./problems";

const API_BASE: string = (import.meta.env.VITE_API_BASE_URL ?? "").replace(/\/+$/, "");

type RequestIdListener = (requestId: string) => void;
let onRequestId: RequestIdListener = () => {};
let lastRequestId: string | null = null;

/**
 * Called with the id of every answered request, starting with the newest one so far
 * (the error reporter tags events with it).
 */
export function setRequestIdListener(listener: RequestIdListener): void {
  onRequestId = listener;
  if (lastRequestId) listener(lastRequestId);
}

/** 32 hex characters: accepted by the API's X-Request-ID check and echoed back. */
function newRequestId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export function apiUrl(path: string): string {
  return `${API_BASE}${path}`;
}

export interface SendOptions {
  method?: "GET" | "POST" | "DELETE";
  json?: unknown;
  form?: FormData;
  token?: string | null;
}

export async function send<T>(path: string, opts: SendOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: "application/json, application/problem+json",
    "X-Request-ID": newRequestId(),
  };
  let body: BodyInit | null = null;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form; // the browser writes the multipart boundary
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let response: Response;
  try {
    response = await fetch(apiUrl(path), {
      method: opts.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (cause) {
    throw new NetworkError(`${path}: ${String(cause)}`);
  }
  const requestId = response.headers.get("x-request-id") ?? headers["X-Request-ID"] ?? null;
  if (requestId) {
    lastRequestId = requestId;
    onRequestId(requestId);
  }
  if (response.ok) {
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
  throw await toError(response, requestId);
}

async function toError(response: Response, requestId: string | null): Promise<ApiError> {
  let problem: Problem | null = null;
  try {
    problem = (await response.json()) as Problem;
  } catch {
    problem = null; // a proxy's HTML error page: the status still tells enough
  }
  const header = Number(response.headers.get("retry-after"));
  const retryAfter = problem?.retry_after ?? (Number.isFinite(header) && header > 0 ? header : null);
  return new ApiError(response.status, problem, problem?.request_id ?? requestId, retryAfter);
}
