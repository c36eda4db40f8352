// Start-up: read the public config, set up error reporting, restore the session, route.

import "./styles.css";
import { Api } from "./api";
import { emptyPending, widgetFactory, type Context } from "./context";
import { h, replaceChildren } from "./dom";
import { humanError } from "./problems";
import { Router } from "./router";
import { initSentry } from "./sentry";
import { Session } from "./session";

function skipLink(main: HTMLElement): void {
  // The skip link must not change the hash: that is the router's.
  document.querySelector(".skip-link")?.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
}

async function boot(): Promise<void> {
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  if (!main || !nav) return;
  skipLink(main);
  const session = new Session();
  const api = new Api(session);
  let config;
  try {
    config = await api.config();
  } catch (err) {
    replaceChildren(
      main,
      h("h1", {}, "DomestyX is not reachable"),
      h("p", { role: "alert" }, humanError(err).message),
      h("p", {}, h("a", { href: window.location.href }, "Reload the page")),
    );
    return;
  }
  initSentry(config);
  document.getElementById("release")?.append(`Release ${config.release}.`);
  let router: Router | null = null;
  const ctx: Context = {
    api,
    session,
    config,
    pending: emptyPending(),
    me: null,
    navigate: (route) => router?.navigate(route),
    turnstile: widgetFactory(config),
  };
  session.onChange((signedIn) => {
    if (!signedIn) ctx.me = null;
  });
  router = new Router(ctx, main, nav);
  router.start();
}

void boot();
