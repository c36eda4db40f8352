"""Better Stack Uptime: heartbeat pings and declarative monitor sync."""
