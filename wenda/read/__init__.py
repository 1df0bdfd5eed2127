"""The reading stage: extractive readers that find answer spans in passages, and span decoding."""
