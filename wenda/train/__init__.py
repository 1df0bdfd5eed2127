"""The one trainer every model uses, its objectives, and the batching of ranking examples."""
