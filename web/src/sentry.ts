// Error reporting: the Sentry browser SDK, set up from /api/v1/config; events carry the id of
// the API request involved so a report can be matched with the server's logs.

import { captureException, init, setTag, setUser } from "@sentry/browser";
import type { PublicConfig } from "./api";
import { setRequestIdListener } from "./http";
import { ApiError, NetworkError } from "./problems";

let enabled = false;

export function initSentry(config: PublicConfig): void {
  if (!config.sentry_dsn_frontend) return;
  init({
    dsn: config.sentry_dsn_frontend,
    environment: config.environment,
    release: config.release,
    // Identity documents: nothing personal leaves with a report (no IP, headers, bodies,
    // query strings such as signed download links); the account id is set explicitly.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
    },
    beforeSend(event, hint) {
      const original = hint.originalException;
      if (original instanceof ApiError && original.requestId) {
        event.tags = { ...event.tags, request_id: original.requestId };
      }
      return event;
    },
  });
  enabled = true;
  // The newest API request id rides on every event; an ApiError overrides it with its own.
  setRequestIdListener((requestId) => setTag("request_id", requestId));
}

/** Report what a person cannot fix: server failures and bugs, not validation answers. */
export function report(err: unknown): void {
  if (!enabled) return;
  if (err instanceof NetworkError) return;
  if (err instanceof ApiError && err.status < 500) return;
  captureException(err);
}

export function identify(accountId: string | null): void {
  if (enabled) setUser(accountId ? { id: accountId } : null);
}
