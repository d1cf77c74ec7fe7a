"""TikTok report streams: the metric catalog, report definitions, windows and record building."""
