// What every page receives: the API, the session, the public config and navigation.

import type { Api, Me, PublicConfig } from "./api";
import { apiUrl } from "./http";
import type { Session } from "./session";
import { TurnstileWidget, type TurnstileAction } from "./turnstile";


/** Contacts typed on one page and needed on the next; memory only, cleared on sign-out. */
export interface Pending {
  email: string;
  phone: string;
  emailCodeSentAt: number;
  smsCodeSentAt: number;
  flash: string;
}

export function emptyPending(): Pending {
  return { email: "", phone: "", emailCodeSentAt: 0, smsCodeSentAt: 0, flash: "" };
}

export interface Context {
  readonly api: Api;
  readonly session: Session;
  readonly config: PublicConfig;
  readonly pending: Pending;
  me: Me | null;
  navigate(route: string): void;
  turnstile(action: TurnstileAction): TurnstileWidget;
}

export interface PageView {
  title: string;
  root: HTMLElement;
  /** Runs once the root is in the document (widgets need a connected element). */
  mounted?: () => void;
  cleanup?: () => void;
}

export type Page = (ctx: Context) => PageView | Promise<PageView>;

/**
 * Widgets load the script the server names: Cloudflare's, or its offline stand-in, whose
 * same-origin path belongs to the API (which may be another origin, VITE_API_BASE_URL).
 */
export function widgetFactory(config: PublicConfig): (action: TurnstileAction) => TurnstileWidget {
  const url = config.turnstile_script_url;
  const script = url.startsWith("/") ? apiUrl(url) : url;
  return (action) => new TurnstileWidget(script, config.turnstile_site_key, action);
}

/** Resend cooldown left, in whole seconds, after a code sent at `sentAt`. */
export function cooldownLeft(sentAt: number, seconds = 60): number {
  return Math.max(0, Math.ceil((sentAt + seconds * 1000 - Date.now()) / 1000));
}
