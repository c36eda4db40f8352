// RFC 9457 problem details from the API, turned into sentences a person can act on.

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  retry_after?: number;
  errors?: FieldError[];
}

/** An answer from the API that was not a success. */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    readonly requestId: string | null,
    readonly retryAfter: number | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }

  /** The stable last segment of the problem type, e.g. "resend-too-soon". */
  get code(): string {
    return this.problem?.type.split("/").pop() ?? "";
  }
}

/** The API could not be reached at all. */
export class NetworkError extends Error {
  override name = "NetworkError";
}

export interface HumanError {
  message: string;
  reference: string | null;
  fields: FieldError[];
}

const FRIENDLY: Record<string, string> = {
  "captcha-failed":
    "The anti-bot check did not pass or has expired. Wait for the check to finish, then try again.",
  unauthenticated: "Your session has ended. Please sign in again.",
  "totp-required": "This account has an authenticator: enter the 6-digit code from your app (or a recovery code).",
  "mfa-required": "Reviewing needs a sign-in with your authenticator. Set one up, then sign in again with a code.",
  "internal-error": "Something went wrong on our side. It has been reported; please try again.",
};

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

function clock(at: Date): string {
  return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** What to show for any failure; 429 and 503 say when to try again. */
export function humanError(err: unknown, now: Date = new Date()): HumanError {
  if (err instanceof NetworkError) {
    return {
      message: "We could not reach DomestyX. Check your connection and try again.",
      reference: null,
      fields: [],
    };
  }
  if (!(err instanceof ApiError)) {
    return {
      message: "Something went wrong in this page. It has been reported; please try again.",
      reference: null,
      fields: [],
    };
  }
  let message = FRIENDLY[err.code] ?? err.problem?.detail ?? err.problem?.title ?? "";
  if (err.status >= 500 && !err.retryAfter) message = FRIENDLY["internal-error"] ?? message;
  if (!message) message = `The request failed (HTTP ${err.status}).`;
  if (err.retryAfter) {
    const at = new Date(now.getTime() + err.retryAfter * 1000);
    message += ` You can try again in ${formatWait(err.retryAfter)} (at ${clock(at)}).`;
  }
  return { message, reference: err.requestId, fields: err.problem?.errors ?? [] };
}
