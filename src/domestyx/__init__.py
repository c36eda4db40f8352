"""DomestyX trust core: accounts, verification, sessions, abuse protection and documents."""

__version__ = "0.1.0"
