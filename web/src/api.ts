// The API v1 endpoints the client uses; authenticated calls refresh once on a 401.

import { send, type SendOptions } from "./http";
import { ApiError } from "./problems";
import type { Session, TokenPair } from "./session";

export interface PublicConfig {
  turnstile_site_key: string;
  sentry_dsn_frontend: string | null;
  environment: string;
  release: string;
  /** Cloudflare's script, or the app's same-origin stand-in on the embedded default. */
  turnstile_script_url: string;
  /** The server's document size cap (MAX_UPLOAD_BYTES). */
  max_upload_bytes: number;
  /** "/dev/outbox" on the embedded default, where every code goes; null in production. */
  dev_outbox_url?: string | null;
}

export type Role = "worker" | "employer" | "reviewer" | "admin";
export type Channel = "email" | "sms";
export type Purpose = "verify_email" | "verify_phone";
export type ContactKind = "email" | "phone";

export interface Me {
  id: string;
  email: string;
  phone: string;
  role: Role;
  status: string;
  email_verified: boolean;
  phone_verified: boolean;
  identity_status: string;
  identity_verified?: boolean;
  totp_enabled?: boolean;
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  recovery_codes: string[];
}

export interface DocumentInfo {
  id: string;
  kind: string;
  version: number;
  content_type: string;
  size: number;
  status: string;
  uploaded_at: string;
}

export interface Verification {
  id: string;
  account_id: string;
  status: string;
  document_ids: string[];
  submitted_at: string;
  reason_code: string | null;
}

export interface DownloadLink {
  url: string;
  expires_at: string;
}

export type DecisionName = "approve" | "reject" | "request_resubmission";

/** An account as support sees it: contacts masked. */
export interface AccountSummary {
  id: string;
  email: string;
  phone: string;
  role: Role;
  status: string;
  email_verified: boolean;
  phone_verified: boolean;
  identity_status: string;
  created_at: string;
}

export interface SupportSession {
  id: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  user_agent: string;
  ip: string;
}

export interface SupportDelivery {
  id: string;
  channel: string;
  template: string;
  destination: string;
  purpose: string | null;
  status: string;
  attempts: number;
  provider_id: string | null;
  error_code: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface SupportEvent {
  id: string;
  occurred_at: string;
  event: string;
  outcome: string;
  actor_id: string | null;
  subject_id: string | null;
  ip: string | null;
  details: Record<string, string>;
}

export interface Dossier {
  account: AccountSummary;
  sessions: SupportSession[];
  deliveries: SupportDelivery[];
  events: SupportEvent[];
}

export type SupportActionName = "lock" | "unlock" | "sign-out-everywhere" | "resend";

export interface SupportActionResult {
  account_id: string;
  status: string;
  sessions_revoked?: number;
  action?: string;
  channel?: string;
  delivery_id?: string;
}

export class Api {
  constructor(private readonly session: Session) {}

  config(): Promise<PublicConfig> {
    return send("/api/v1/config");
  }

  register(body: {
    email: string;
    phone: string;
    password: string;
    role: "worker" | "employer";
    turnstile_token: string;
  }): Promise<unknown> {
    return send("/api/v1/auth/register", { json: body });
  }

  sendCode(channel: Channel, destination: string, purpose: Purpose, turnstileToken: string): Promise<unknown> {
    return send("/api/v1/auth/otp/send", {
      json: { channel, destination, purpose, turnstile_token: turnstileToken },
    });
  }

  verifyCode(channel: Channel, destination: string, purpose: Purpose, code: string): Promise<unknown> {
    return send("/api/v1/auth/otp/verify", { json: { channel, destination, purpose, code } });
  }

  async login(identifier: string, password: string, turnstileToken: string, totpCode = ""): Promise<void> {
    const who = identifier.startsWith("+") ? { phone: identifier } : { email: identifier };
    const code = totpCode.trim() ? { totp_code: totpCode.trim() } : {};
    const pair = await send<TokenPair>("/api/v1/auth/login", {
      json: { ...who, password, turnstile_token: turnstileToken, ...code },
    });
    this.session.store(pair);
  }

  forgotPassword(channel: Channel, destination: string, turnstileToken: string): Promise<unknown> {
    return send("/api/v1/auth/password/forgot", {
      json: { channel, destination, turnstile_token: turnstileToken },
    });
  }

  resetPassword(channel: Channel, destination: string, code: string, newPassword: string): Promise<void> {
    return send("/api/v1/auth/password/reset", {
      json: { channel, destination, code, new_password: newPassword },
    });
  }

  /** Ask for a code at a new email address or phone number; nothing changes yet. */
  changeContact(kind: ContactKind, value: string, password: string): Promise<unknown> {
    const field = kind === "email" ? "new_email" : "new_phone";
    return this.authed(`/api/v1/me/${kind}`, { json: { [field]: value, password } });
  }

  /** Prove the new contact with its code; the change applies and the account comes back. */
  verifyContact(kind: ContactKind, code: string): Promise<Me> {
    return this.authed(`/api/v1/me/${kind}/verify`, { json: { code } });
  }

  me(): Promise<Me> {
    return this.authed("/api/v1/me");
  }

  enrolTotp(): Promise<TotpEnrolment> {
    return this.authed("/api/v1/me/mfa/totp", { method: "POST" });
  }

  confirmTotp(code: string): Promise<void> {
    return this.authed("/api/v1/me/mfa/totp/confirm", { json: { code } });
  }

  documents(): Promise<DocumentInfo[]> {
    return this.authed("/api/v1/documents");
  }

  upload(kind: string, file: File): Promise<DocumentInfo> {
    const form = new FormData();
    form.append("kind", kind);
    form.append("file", file, file.name);
    return this.authed("/api/v1/documents", { form });
  }

  deleteDocument(id: string): Promise<void> {
    return this.authed(`/api/v1/documents/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  downloadLink(id: string): Promise<DownloadLink> {
    return this.authed(`/api/v1/documents/${encodeURIComponent(id)}/download`);
  }

  submitForReview(): Promise<Verification> {
    return this.authed("/api/v1/verification/submit", { method: "POST" });
  }

  /** The newest submission, or null before the first one. */
  async myVerification(): Promise<Verification | null> {
    try {
      return await this.authed<Verification>("/api/v1/verification");
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  queue(): Promise<Verification[]> {
    return this.authed("/api/v1/admin/verifications");
  }

  adminDocument(id: string): Promise<DocumentInfo> {
    return this.authed(`/api/v1/admin/documents/${encodeURIComponent(id)}`);
  }

  adminDownloadLink(id: string): Promise<DownloadLink> {
    return this.authed(`/api/v1/admin/documents/${encodeURIComponent(id)}/download`);
  }

  decide(id: string, decision: DecisionName, reason: string | null, note: string | null): Promise<Verification> {
    const path = `/api/v1/admin/verifications/${encodeURIComponent(id)}/decision`;
    return this.authed(path, { json: { decision, reason, note } });
  }

  /** Support lookup by exactly one of email or phone. */
  findAccounts(who: { email: string } | { phone: string }): Promise<AccountSummary[]> {
    const query = new URLSearchParams(who as Record<string, string>);
    return this.authed(`/api/v1/admin/accounts?${query.toString()}`);
  }

  /** The support view of one account (the server audits each view). */
  supportAccount(id: string): Promise<Dossier> {
    return this.authed(`/api/v1/admin/accounts/${encodeURIComponent(id)}`);
  }

  supportAction(id: string, action: SupportActionName, reason: string): Promise<SupportActionResult> {
    return this.authed(`/api/v1/admin/accounts/${encodeURIComponent(id)}/${action}`, { json: { reason } });
  }

  /** Bearer call; one refresh-and-retry when the access token was rejected. */
  private async authed<T>(path: string, opts: SendOptions = {}): Promise<T> {
    const token = await this.session.accessToken();
    try {
      return await send<T>(path, { ...opts, token });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || !(await this.session.refresh())) {
        if (err instanceof ApiError && err.status === 401) this.session.clear();
        throw err;
      }
    }
    return send<T>(path, { ...opts, token: await this.session.accessToken() });
  }
}
