// The part the two verification pages share: send a code (captcha + cooldown), then enter it.

import type { Channel, Purpose } from "../api";
import { cooldownLeft, type Context } from "../context";
import { field, h, type Field } from "../dom";
import { busy, clearError, Cooldown, errorBox, showError, showMessage, statusBox } from "../forms";
import { apiUrl } from "../http";
import { ApiError } from "../problems";

export interface CodeFlowOptions {
  channel: Channel;
  purpose: Purpose;
  destination: Field;
  sendLabel: string;
  sentAt: () => number;
  markSent: () => void;
  onVerified: () => void;
}

export interface CodeFlow {
  sendForm: HTMLFormElement;
  verifyForm: HTMLFormElement;
  mounted: () => void;
  cleanup: () => void;
}

function sendForm(ctx: Context, opts: CodeFlowOptions): Omit<CodeFlow, "verifyForm"> {
  const widget = ctx.turnstile("otp_send");
  const errors = errorBox();
  const status = statusBox();
  const submit = h("button", { type: "submit", class: "secondary" }, opts.sendLabel);
  const cooldown = new Cooldown(submit, opts.sendLabel, status);
  const form = h("form", { class: "send-code" }, widget.element, errors, status, submit);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors);
    const destination = opts.destination.input.value.trim();
    if (!opts.destination.input.reportValidity()) return;
    const token = widget.take();
    if (!token) {
      showMessage(errors, "Please wait for the anti-bot check to finish, then try again.");
      return;
    }
    void busy(submit, async () => {
      try {
        await ctx.api.sendCode(opts.channel, destination, opts.purpose, token);
      } catch (err) {
        showError(errors, err);
        if (err instanceof ApiError && err.status === 429 && err.retryAfter) cooldown.start(err.retryAfter);
        return;
      }
      opts.markSent();
      cooldown.start(cooldownLeft(opts.sentAt()));
      status.textContent = `If ${destination} can receive it, a new code is on its way. ${status.textContent ?? ""}`;
    });
  });

  return {
    sendForm: form,
    mounted: () => {
      void widget.mount();
      cooldown.start(cooldownLeft(opts.sentAt()));
    },
    cleanup: () => {
      cooldown.stop();
      widget.remove();
    },
  };
}

export function codeFlow(ctx: Context, opts: CodeFlowOptions): CodeFlow {
  const code = field({
    label: "6-digit code",
    name: "code",
    autocomplete: "one-time-code",
    hint: "Codes work once and expire after 10 minutes.",
    extra: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 },
  });
  const errors = errorBox();
  const submit = h("button", { type: "submit" }, "Confirm");
  const verifyForm = h("form", { class: "verify-code" }, code.wrap, errors, submit);
  verifyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, verifyForm);
    if (!opts.destination.input.reportValidity()) return;
    void busy(submit, async () => {
      try {
        const destination = opts.destination.input.value.trim();
        await ctx.api.verifyCode(opts.channel, destination, opts.purpose, code.input.value.trim());
      } catch (err) {
        showError(errors, err, verifyForm);
        code.input.focus();
        return;
      }
      opts.onVerified();
    });
  });
  return { verifyForm, ...sendForm(ctx, opts) };
}

/** Where codes arrive on the embedded default (the dev outbox), or null on a real deployment. */
export function devOutboxNote(ctx: Context): HTMLElement | null {
  const url = ctx.config.dev_outbox_url;
  if (!url) return null;
  return h(
    "p",
    { class: "notice dev-outbox" },
    "This is a development server: nothing is really emailed or texted. Every code is in the ",
    h("a", { href: url.startsWith("/") ? apiUrl(url) : url, target: "_blank", rel: "noopener" }, "dev outbox"),
    ".",
  );
}
