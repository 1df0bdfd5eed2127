"""The HTTP API and web page (``wenda serve``): FastAPI routes over :class:`wenda.api.Wenda`."""
