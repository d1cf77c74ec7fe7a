"""Generated account data, one builder per object kind; `hierarchy` and `library` put them together."""
