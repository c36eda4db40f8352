"""Shared test support: service discovery, stub servers, builders."""
