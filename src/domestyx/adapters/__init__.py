"""Adapters: one technology each, implementing the ports."""
