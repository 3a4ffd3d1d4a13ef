"""Personal data kept from model providers: the scrubber and what it must leave alone."""
