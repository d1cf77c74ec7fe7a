"""Everything about talking to TikTok's Marketing API that is not specific to one stream."""
