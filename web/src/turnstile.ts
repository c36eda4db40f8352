// Cloudflare Turnstile, rendered explicitly: one widget per protected form, one token per
// submission (tokens are single use, so the widget is reset after every attempt).

import { h } from "./dom";

export type TurnstileAction = "register" | "login" | "otp_send" | "password_forgot";

interface RenderOptions {
  sitekey: string;
  action: string;
  callback: (token: string) => void;
  "expired-callback"?: () => void;
  "error-callback"?: () => void;
  "before-interactive-callback"?: () => void;
  theme?: "light" | "dark" | "auto";
}

interface TurnstileApi {
  render(container: HTMLElement, options: RenderOptions): string | undefined;
  reset(widgetId?: string): void;
  remove(widgetId: string): void;
}

declare global {
  interface Window {
    turnstile?: TurnstileApi;
  }
}

let loading: Promise<TurnstileApi> | null = null;

/** Add the script once; resolves when `window.turnstile` exists. */
export function loadTurnstile(scriptUrl: string): Promise<TurnstileApi> {
  loading ??= new Promise<TurnstileApi>((resolve, reject) => {
    if (window.turnstile) {
      resolve(window.turnstile);
      return;
    }
    const script = h("script", { src: scriptUrl, async: true });
    script.addEventListener("load", () =>
      window.turnstile ? resolve(window.turnstile) : reject(new Error("Turnstile script loaded without an API")),
    );
    script.addEventListener("error", () => {
      loading = null; // allow a later page to try again
      reject(new Error(`Turnstile script failed to load from ${scriptUrl}`));
    });
    document.head.append(script);
  });
  return loading;
}

export class TurnstileWidget {
  readonly element: HTMLDivElement;
  private readonly status: HTMLParagraphElement;
  private widgetId: string | undefined;
  private current: string | null = null;
  private api: TurnstileApi | null = null;

  constructor(
    private readonly scriptUrl: string,
    private readonly siteKey: string,
    readonly action: TurnstileAction,
  ) {
    this.status = h("p", { class: "hint", "aria-live": "polite" }, "Checking that you are a person…");
    this.element = h(
      "div",
      { class: "turnstile", "data-turnstile-action": action },
      h("div", { class: "turnstile-slot" }),
      this.status,
    );
  }

  /** Render into the slot; failures are shown in the form instead of thrown. */
  async mount(): Promise<void> {
    try {
      this.api = await loadTurnstile(this.scriptUrl);
    } catch {
      this.status.textContent =
        "The anti-bot check could not load. Check your connection, then reload the page.";
      this.status.classList.add("error-text");
      return;
    }
    const slot = this.element.querySelector<HTMLElement>(".turnstile-slot");
    if (!slot || !this.element.isConnected) return;
    this.widgetId = this.api.render(slot, {
      sitekey: this.siteKey,
      action: this.action,
      theme: "light",
      callback: (token) => this.accept(token),
      "expired-callback": () => this.expire("The check expired; it will run again."),
      "error-callback": () => this.expire("The check failed; reload the page to try again."),
      "before-interactive-callback": () => {
        this.status.textContent = "Complete the check above to continue.";
      },
    });
  }

  /** The token for one submission, or null while the check is still running. */
  take(): string | null {
    const token = this.current;
    this.current = null;
    if (token !== null) this.reset();
    return token;
  }

  reset(): void {
    this.current = null;
    if (this.api && this.widgetId !== undefined) this.api.reset(this.widgetId);
  }

  remove(): void {
    if (this.api && this.widgetId !== undefined) this.api.remove(this.widgetId);
    this.widgetId = undefined;
  }

  private accept(token: string): void {
    this.current = token;
    this.status.textContent = "Check complete.";
    this.status.classList.remove("error-text");
  }

  private expire(message: string): void {
    this.current = null;
    this.status.textContent = message;
  }
}
