// Form plumbing shared by the pages: readable errors, busy buttons and resend cooldowns.

import { append, h, replaceChildren } from "./dom";
import { humanError, type Words } from "./problems";
import { report } from "./sentry";

/** An assertive live region: errors are announced as soon as they appear. */
export function errorBox(): HTMLDivElement {
  return h("div", { class: "form-error", role: "alert", hidden: true });
}

/** A polite live region for progress and success messages. */
export function statusBox(): HTMLParagraphElement {
  return h("p", { class: "form-status", role: "status" });
}

export function clearError(box: HTMLElement, form?: HTMLFormElement): void {
  box.hidden = true;
  replaceChildren(box);
  form?.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form?.querySelectorAll(".field-error").forEach((el) => el.remove());
}

/** Show a failure in the client's words, mark the fields the API named, and report bugs. */
export function showError(box: HTMLElement, err: unknown, form?: HTMLFormElement, words: Words = {}): void {
  clearError(box, form);
  report(err);
  const human = humanError(err, new Date(), words);
  append(box, h("p", {}, human.message));
  for (const item of human.fields) {
    const input = form?.querySelector<HTMLInputElement>(`[name="${CSS.escape(item.field)}"]`);
    if (input) {
      const id = `${input.id}-error`;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") ?? ""} ${id}`.trim());
      input.insertAdjacentElement("afterend", h("p", { id, class: "field-error" }, item.message));
    }
    // A field this form lacks is covered by the main sentence; never echo the server's text.
  }
  if (human.reference) append(box, h("p", { class: "reference" }, `Reference: ${human.reference}`));
  box.hidden = false;
}

export function showMessage(box: HTMLElement, message: string): void {
  box.hidden = false;
  replaceChildren(box, h("p", {}, message));
}

/** Disable the button while `work` runs, so one click sends one request. */
export async function busy<T>(control: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  const hadFocus = document.activeElement === control;
  control.disabled = true;
  control.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    // A cooldown started by `work` keeps the button disabled until it runs out.
    if (!control.hasAttribute("data-cooldown")) control.disabled = false;
    control.removeAttribute("aria-busy");
    // Disabling dropped keyboard focus to <body>; put it back unless the page moved on.
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (hadFocus && lost && control.isConnected && !control.disabled) control.focus();
  }
}

/**
 * A resend button that counts down. The seconds are shown on the button (not announced each
 * tick); the start and the end are announced once through the status region.
 */
export class Cooldown {
  private timer: number | undefined;
  private until = 0;

  constructor(
    private readonly control: HTMLButtonElement,
    private readonly label: string,
    private readonly status: HTMLElement,
  ) {}

  get active(): boolean {
    return Date.now() < this.until;
  }

  start(seconds: number): void {
    if (seconds <= 0) return;
    this.until = Date.now() + seconds * 1000;
    this.control.disabled = true;
    this.control.setAttribute("data-cooldown", String(seconds));
    this.status.textContent = `You can ask for another code in ${seconds} seconds.`;
    window.clearInterval(this.timer);
    this.tick();
    this.timer = window.setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  private tick(): void {
    const left = Math.ceil((this.until - Date.now()) / 1000);
    if (left > 0) {
      this.control.textContent = `${this.label} (available in ${left} s)`;
      this.control.setAttribute("data-cooldown", String(left));
      return;
    }
    this.stop();
    this.control.disabled = false;
    this.control.removeAttribute("data-cooldown");
    this.control.textContent = this.label;
    this.status.textContent = "You can ask for another code now.";
  }
}
