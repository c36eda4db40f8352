"""Pure domain: models, policies and services that depend only on ports."""
