"""The domain: the pure model below the ports, the use-case services above them."""
