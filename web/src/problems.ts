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

/** Words a page may put in place of the defaults, keyed by problem code. */
export type Words = Partial<Record<string, string>>;

const REQUEST_NEW_CODE = "This code has expired or was replaced by a newer one. Request a new code, then enter it.";

// The client's own sentences for the API's problem types: the server's `detail` is for
// developers and logs and is never shown (it can name internals, e.g. document kinds).
const MESSAGES: Record<string, string> = {
  "captcha-failed":
    "The anti-bot check did not pass or has expired. Wait for the check to finish, then try again.",
  "captcha-required": "Please complete the anti-bot check below, then try again.",
  unauthenticated: "Your session has ended. Please sign in again.",
  "invalid-token": "Your session has ended. Please sign in again.",
  "invalid-credentials":
    "The email address or phone number and password do not match. Check them and try again. New accounts must confirm their email address first.",
  "totp-required": "This account has an authenticator: enter the 6-digit code from your app (or a recovery code).",
  "mfa-required": "This needs a sign-in with your authenticator. Set one up, then sign in again with a code.",
  "invalid-code": "That code is not right, or it has expired. Check the digits, or request a new code.",
  "code-expired": REQUEST_NEW_CODE,
  "code-attempts-exhausted": "Too many wrong codes. Request a new code, then enter it.",
  "resend-too-soon": "A code was sent moments ago. Wait a little before asking for another.",
  "rate-limited": "Too many attempts. Please slow down.",
  "account-locked": "This account is locked for a while after too many attempts.",
  "destination-not-allowed":
    "We cannot send text messages to this country yet. Use a mobile number from a supported country.",
  "sms-budget-exhausted": "We cannot send text messages right now. Please try again later.",
  "dependency-unavailable": "Part of DomestyX is not answering right now. Please try again in a moment.",
  "weak-password":
    "Choose a different password: 8 to 128 characters, not a common one, and without your email address, phone number or the word DomestyX.",
  "invalid-input": "Some of what you entered was not accepted. Check the marked fields and try again.",
  "invalid-request": "The request was not understood. Reload the page and try again.",
  "contacts-not-verified": "Confirm your email address and phone number first.",
  forbidden: "You are not allowed to do that.",
  "not-found": "We could not find that. It may have been deleted.",
  conflict: "That cannot be done right now. Reload the page to see the latest state.",
  "illegal-transition": "That cannot be done right now. Reload the page to see the latest state.",
  "unsupported-media-type":
    "Only PDF, JPEG or PNG files can be uploaded. Save or export the document in one of those formats.",
  "unsupported-content-type": "The request was not understood. Reload the page and try again.",
  "payload-too-large": "This file is too large. Try a smaller scan or a JPEG photo.",
  "unprocessable-document": "We could not read this file. Upload a clear photo or a fresh scan of the document.",
  "active-content":
    "This PDF contains scripts, forms or attachments, which we refuse for safety. Print it to a new PDF, or upload a photo.",
  "request-timeout": "The upload took too long. Check your connection and try again.",
  "method-not-allowed": "The request was not understood. Reload the page and try again.",
  "http-error": "The request was not understood. Reload the page and try again.",
  "invalid-signature": "The request could not be verified. Reload the page and try again.",
  "internal-error": "Something went wrong on our side. It has been reported; please try again.",
};

// Why a document was refused (`reason` on unprocessable-document).
const DOCUMENT_REASONS: Record<string, string> = {
  empty: "This file is empty. Choose the scan or photo of your document.",
  truncated: "This file is incomplete (it may not have finished downloading). Save it again, then upload it.",
  damaged: "This file is damaged. Take a new photo or scan, then upload it.",
  encrypted: "This PDF is password-protected. Remove the password (or print it to a new PDF), then upload it.",
  "trailing-data": "This file has extra data after its end. Save or export it again, then upload it.",
  undecodable: "We could not read this file. Upload a clear photo or a fresh scan of the document.",
  "image-too-large": "This image has too many pixels. Take a smaller photo or reduce its size, then upload it.",
  "active-content": MESSAGES["active-content"] ?? "",
};

// What to say beside a field the API named (its own message stays out of the page).
const FIELDS: Record<string, string> = {
  email: "Enter an email address like name@example.com.",
  new_email: "Enter an email address like name@example.com.",
  phone: "Enter the number in international format with the country code, for example +447700900123.",
  new_phone: "Enter the number in international format with the country code, for example +447700900123.",
  destination: "Enter the email address or phone number the code was sent to.",
  password: "Choose a password of 8 to 128 characters.",
  new_password: "Choose a password of 8 to 128 characters.",
  current_password: "Enter your current password.",
  code: "Enter the 6-digit code.",
  totp_code: "Enter the 6-digit code from your app, or a recovery code.",
  role: "Choose what you use DomestyX for.",
  reason: "Choose or write a reason.",
  note: "Keep the note shorter.",
  kind: "Choose the document type.",
  file: "Choose a PDF, JPEG or PNG file.",
};

const BY_STATUS: Record<number, string> = {
  400: "Something in the request was not accepted. Check what you entered and try again.",
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do that.",
  404: "We could not find that. It may have been deleted.",
  409: "That cannot be done right now. Reload the page to see the latest state.",
  413: "This is too large to send.",
  415: "This kind of file cannot be uploaded.",
  422: "Some of what you entered was not accepted. Check it and try again.",
  429: "Too many attempts. Please slow down.",
};

/** A dead code, whatever the server calls it (a distinct type may come for superseded codes). */
function isDeadCode(code: string): boolean {
  return /code/.test(code) && /expired|dead|superseded|replaced|spent/.test(code);
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

function clock(at: Date): string {
  return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** The client's sentence for one API failure: page words, then the type, then the status. */
export function messageFor(err: ApiError, words: Words = {}): string {
  const code = err.code;
  const reason = (err.problem as { reason?: string } | null)?.reason;
  if (err.status >= 500 && !err.retryAfter) return MESSAGES["internal-error"] ?? "";
  const page = words[code];
  if (page) return page;
  if (code === "unprocessable-document" && reason && DOCUMENT_REASONS[reason]) return DOCUMENT_REASONS[reason] ?? "";
  const known = MESSAGES[code];
  if (known) return known;
  if (isDeadCode(code)) return REQUEST_NEW_CODE;
  if (err.status >= 500) return "DomestyX is busy right now.";
  return BY_STATUS[err.status] ?? `The request failed (HTTP ${err.status}).`;
}

/** What to show for any failure; 429 and 503 say when to try again. */
export function humanError(err: unknown, now: Date = new Date(), words: Words = {}): HumanError {
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
  let message = messageFor(err, words);
  if (err.retryAfter) {
    const at = new Date(now.getTime() + err.retryAfter * 1000);
    message += ` You can try again in ${formatWait(err.retryAfter)} (at ${clock(at)}).`;
  }
  const fields = (err.problem?.errors ?? []).map((item) => ({
    field: item.field,
    message: err.code === "weak-password" ? "Choose another password." : (FIELDS[item.field] ?? "Check this value."),
  }));
  return { message, reference: err.requestId, fields };
}
