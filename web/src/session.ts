// Tokens: the access token lives only in memory; the refresh token is rotated on every use
// and kept in this tab's sessionStorage so a reload does not sign the person out.

import { send } from "./http";
import { ApiError } from "./problems";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

const REFRESH_KEY = "domestyx.refresh";
// Refresh a little before expiry so a request never leaves with a token about to die.
const EARLY_MS = 30_000;

export class Session {
  private access: string | null = null;
  private expiresAt = 0;
  private inflight: Promise<boolean> | null = null;
  private timer: number | undefined;
  private listeners: Array<(signedIn: boolean) => void> = [];

  get signedIn(): boolean {
    return this.access !== null;
  }

  /** The assurance level the server signed into the access token: 2 after a TOTP code. */
  get aal(): number {
    const payload = this.access?.split(".")[1];
    if (!payload) return 0;
    try {
      const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
      const aal = (JSON.parse(json) as { aal?: unknown }).aal;
      return typeof aal === "number" ? aal : 1;
    } catch {
      return 1;
    }
  }

  onChange(listener: (signedIn: boolean) => void): void {
    this.listeners.push(listener);
  }

  hasStoredRefresh(): boolean {
    return Boolean(sessionStorage.getItem(REFRESH_KEY));
  }

  store(pair: TokenPair): void {
    this.access = pair.access_token;
    this.expiresAt = Date.now() + pair.expires_in * 1000;
    sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
    window.clearTimeout(this.timer);
    const wait = Math.max(pair.expires_in * 1000 - EARLY_MS, 5_000);
    this.timer = window.setTimeout(() => void this.refresh(), wait);
    this.emit(true);
  }

  /** A usable access token, refreshing first when it has expired or is about to. */
  async accessToken(): Promise<string | null> {
    if (this.access && Date.now() < this.expiresAt - EARLY_MS) return this.access;
    return (await this.refresh()) ? this.access : null;
  }

  /**
   * Rotate the refresh token. Concurrent callers share one request: sending the same refresh
   * token twice would look like reuse and revoke the whole session family.
   */
  refresh(): Promise<boolean> {
    this.inflight ??= this.rotate().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async rotate(): Promise<boolean> {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) {
      this.clear();
      return false;
    }
    try {
      this.store(await send<TokenPair>("/api/v1/auth/refresh", { json: { refresh_token: refreshToken } }));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) this.clear();
      return false;
    }
  }

  /** Revoke on the server (best effort), then forget everything locally. */
  async logout(): Promise<void> {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    this.clear();
    if (refreshToken) {
      try {
        await send("/api/v1/auth/logout", { json: { refresh_token: refreshToken, all: false } });
      } catch {
        // Already signed out locally; an expired or revoked token is fine here.
      }
    }
  }

  clear(): void {
    const was = this.access !== null || this.hasStoredRefresh();
    this.access = null;
    this.expiresAt = 0;
    window.clearTimeout(this.timer);
    sessionStorage.removeItem(REFRESH_KEY);
    if (was) this.emit(false);
  }

  private emit(signedIn: boolean): void {
    for (const listener of this.listeners) listener(signedIn);
  }
}
