"""One module per family of TikTok objects; `base` holds what every stream shares."""
